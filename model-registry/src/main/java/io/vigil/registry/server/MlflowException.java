package io.vigil.registry.server;

import static java.util.Objects.requireNonNull;

/** A request failed with an MLflow error code; the message is safe to show to the caller. */
public final class MlflowException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public MlflowException(ErrorCode code, String message) {
    super(requireNonNull(message, "message"));
    this.code = requireNonNull(code, "code");
  }

  public MlflowException(ErrorCode code, String message, Throwable cause) {
    super(requireNonNull(message, "message"), cause);
    this.code = requireNonNull(code, "code");
  }

  public ErrorCode code() {
    return code;
  }

  public static MlflowException invalid(String message) {
    return new MlflowException(ErrorCode.INVALID_PARAMETER_VALUE, message);
  }

  public static MlflowException notFound(String message) {
    return new MlflowException(ErrorCode.RESOURCE_DOES_NOT_EXIST, message);
  }

  public static MlflowException exists(String message) {
    return new MlflowException(ErrorCode.RESOURCE_ALREADY_EXISTS, message);
  }
}
