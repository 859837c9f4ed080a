package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with a cap: the wait after the {@code n}-th consecutive failed attempt is
 * {@code min(max, initial * 2^(n-1))}, shortened by up to {@code jitter} of itself at random so that
 * many callers that failed together do not all retry together. The random source is injected, so
 * tests are deterministic.
 */
public final class Backoff {

  private final long initialNanos;
  private final long maxNanos;
  private final double jitter;
  private final DoubleSupplier random;

  /**
   * @param jitter fraction in [0, 1) by which a wait may be shortened at random
   * @param random values in [0, 1)
   */
  public Backoff(Duration initial, Duration max, double jitter, DoubleSupplier random) {
    this.initialNanos = requireNonNull(initial, "initial").toNanos();
    this.maxNanos = requireNonNull(max, "max").toNanos();
    if (initialNanos <= 0 || maxNanos < initialNanos) {
      throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + " and " + max);
    }
    if (!(jitter >= 0 && jitter < 1)) {
      throw new IllegalArgumentException("jitter must be in [0, 1): " + jitter);
    }
    this.jitter = jitter;
    this.random = requireNonNull(random, "random");
  }

  /** The wait, in nanoseconds, after {@code failures} (>= 1) consecutive failed attempts. */
  public long delayNanos(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures must be >= 1: " + failures);
    }
    long base = initialNanos;
    for (int i = 1; i < failures && base < maxNanos; i++) {
      base = base > maxNanos / 2 ? maxNanos : base * 2;
    }
    base = Math.min(base, maxNanos);
    if (jitter == 0) {
      return base;
    }
    double r = Math.min(Math.max(random.getAsDouble(), 0), 1);
    return Math.max(1, (long) (base * (1 - jitter * r)));
  }
}
