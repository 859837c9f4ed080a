package io.vigil.registry.server;

/**
 * The MLflow error codes this server returns, each mapped once to its HTTP status. The JSON body is
 * always {@code {"error_code": NAME, "message": ...}}.
 */
public enum ErrorCode {
  INVALID_PARAMETER_VALUE(400),
  MALFORMED_REQUEST(400),
  BAD_REQUEST(400),
  INVALID_STATE(400),
  RESOURCE_ALREADY_EXISTS(400),
  RESOURCE_DOES_NOT_EXIST(404),
  ENDPOINT_NOT_FOUND(404),
  UNAUTHENTICATED(401),
  PERMISSION_DENIED(403),
  RESOURCE_CONFLICT(409),
  REQUEST_LIMIT_EXCEEDED(429),
  INTERNAL_ERROR(500),
  TEMPORARILY_UNAVAILABLE(503);

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** True for codes a client may retry (the server or a dependency was briefly unable). */
  public boolean retriable() {
    return httpStatus == 429 || httpStatus >= 500;
  }
}
