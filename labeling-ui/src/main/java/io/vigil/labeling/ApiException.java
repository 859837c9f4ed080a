package io.vigil.labeling;

import static java.util.Objects.requireNonNull;

/** A failure with a code the API maps to a status and a safe message. */
public final class ApiException extends RuntimeException {

  private final ErrorCode code;

  public ApiException(ErrorCode code, String message) {
    super(message);
    this.code = requireNonNull(code, "code");
  }

  public ApiException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = requireNonNull(code, "code");
  }

  public ErrorCode code() {
    return code;
  }
}
