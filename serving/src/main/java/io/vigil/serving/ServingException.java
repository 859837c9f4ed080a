package io.vigil.serving;

import static java.util.Objects.requireNonNull;

/** A request failed with a code and a message fit for the caller (no internals). */
public final class ServingException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public ServingException(ErrorCode code, String message) {
    super(message);
    this.code = requireNonNull(code, "code");
  }

  public static ServingException invalid(String message) {
    return new ServingException(ErrorCode.INVALID_ARGUMENT, message);
  }

  public ErrorCode code() {
    return code;
  }
}
