package io.vigil.model;

/** A model directory or its {@code model.json} is not a valid Vigil model artifact. */
public final class ModelFormatException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
