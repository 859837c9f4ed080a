package io.vigil.serving;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a bound (no fixed sleeps). */
final class Await {

  private Await() {}

  static void until(Duration max, String what, BooleanSupplier condition) {
    long until = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out after " + max + " waiting for " + what);
      }
      LockSupport.parkNanos(5_000_000);
    }
  }
}
