package io.vigil.features;

/** A feature set declaration that cannot be used, or input that does not fit it. */
public final class FeatureSetException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public FeatureSetException(String message) {
    super(message);
  }

  public FeatureSetException(String message, Throwable cause) {
    super(message, cause);
  }
}
