package io.vigil.labeling;

/**
 * Every error the API answers with, mapped once to an HTTP status. The JSON body is {@code
 * {"error": CODE, "message": "..."}}: the code is stable, the message is for people and never holds
 * internals.
 */
public enum ErrorCode {
  BAD_REQUEST(400),
  BAD_FILTER(400),
  UNAUTHENTICATED(401),
  FORBIDDEN(403),
  CSRF_REJECTED(403),
  NOT_FOUND(404),
  CONFLICT(409),
  LEASE_EXPIRED(409),
  RATE_LIMITED(429),
  INTERNAL(500),
  UNAVAILABLE(503);

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
