package io.vigil.datasets;

import java.nio.file.Path;

/** Input that cannot be read as a dataset; the message starts with {@code file:line:} when known. */
public final class DatasetException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }

  static DatasetException at(Path file, long line, String what) {
    return new DatasetException(file + ":" + line + ": " + what);
  }
}
