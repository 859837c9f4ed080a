package io.vigil.labeling;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition, polling, within a bound; fails with a message when the bound passes. */
public final class Await {

  private Await() {}

  public static void until(Duration bound, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + bound + " waiting for: " + what);
      }
      LockSupport.parkNanos(20_000_000L);
    }
  }
}
