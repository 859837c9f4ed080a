package io.vigil.cli.replay;

/** A replay that stopped before the end; the message says how far it got. */
public final class ReplayException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ReplayException(String message, Throwable cause) {
    super(message, cause);
  }
}
