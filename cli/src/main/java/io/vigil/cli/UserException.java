package io.vigil.cli;

/** Something the user can fix (a busy port, a missing directory); printed without a stack trace. */
public final class UserException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public UserException(String message) {
    super(message);
  }

  public UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
