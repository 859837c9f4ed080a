package io.vigil.embedded.junit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition, polling, within a bound (no fixed sleeps); fails with a message when the bound passes. */
public final class Await {

  private static final Duration POLL = Duration.ofMillis(10);

  private Await() {}

  /** Polls {@code condition} every 10 ms until it holds or {@code bound} has passed. */
  public static void until(Duration bound, String what, BooleanSupplier condition) {
    until(bound, POLL, what, condition);
  }

  /** The same with another pause between two checks, for conditions that are costly to check. */
  public static void until(Duration bound, Duration poll, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + bound + " waiting for: " + what);
      }
      LockSupport.parkNanos(poll.toNanos());
    }
  }
}
