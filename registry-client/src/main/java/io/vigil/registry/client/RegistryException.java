package io.vigil.registry.client;

/**
 * A registry call failed. {@link #errorCode()} is the MLflow error code from the server (e.g.
 * {@code RESOURCE_DOES_NOT_EXIST}), or {@code UNAVAILABLE} when the server could not be reached.
 */
public class RegistryException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int httpStatus;
  private final String errorCode;

  public RegistryException(int httpStatus, String errorCode, String message, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode == null ? "UNKNOWN" : errorCode;
  }

  /** The HTTP status, or 0 if there was no response. */
  public int httpStatus() {
    return httpStatus;
  }

  public String errorCode() {
    return errorCode;
  }

  public boolean isNotFound() {
    return "RESOURCE_DOES_NOT_EXIST".equals(errorCode);
  }

  public boolean isAlreadyExists() {
    return "RESOURCE_ALREADY_EXISTS".equals(errorCode);
  }
}
