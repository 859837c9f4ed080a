package io.vigil.drift.stats;

/**
 * One-sided (upper) CUSUM on a standardised per-window statistic {@code z}: {@code S = max(0, S + z
 * - k)}, out of control while {@code S > h}.
 *
 * <p><b>Threshold from the expected run length.</b> For in-control {@code z ~ N(0, 1)}
 * independent across windows, Siegmund's approximation gives the average run length to a false
 * signal as {@code ARL(h) = (exp(-2 d b) + 2 d b - 1) / (2 d^2)} with drift {@code d = -k} and
 * {@code b = h + 1.166} (Siegmund 1985; within a few percent of exact values for {@code k} around
 * 0.5, e.g. {@code k = 0.5, h = 4} gives 336 vs 336 exact, {@code h = 5} gives 930). {@link
 * #thresholdFor} solves {@code ARL(h) = ARL0} for {@code h} by bisection, so the configured ARL0
 * directly sets the false-alarm rate, about {@code 1 / ARL0} signals per in-control window.
 *
 * <p>Each {@code z} is clipped to {@code [-Z_CAP, Z_CAP]} before it is added: on real telemetry a
 * single extreme window (a burst in a mostly idle metric) must not cross {@code h} alone, only a
 * sustained rise does. Clipping only removes mass from the in-control tails, so the false-alarm
 * rate stays at or below the one derived above.
 *
 * <p>The statistic is held below {@code 1.5 h} so that, after a real shift ends, it comes back
 * under {@code h} within a bounded number of windows ({@code 0.5 h / k} at most, when {@code z ~ 0}).
 */
public final class Cusum {

  /** Largest |z| one window may add. */
  public static final double Z_CAP = 4;

  private Cusum() {}

  /** Siegmund's ARL of an upper CUSUM with reference {@code k} and threshold {@code h}, in control. */
  public static double arl(double k, double h) {
    if (!(k > 0)) {
      throw new IllegalArgumentException("reference value k must be > 0");
    }
    double d = -k;
    double b = h + 1.166;
    return (Math.exp(-2 * d * b) + 2 * d * b - 1) / (2 * d * d);
  }

  /** The threshold {@code h} whose in-control ARL equals {@code arl0} (which must exceed 1). */
  public static double thresholdFor(double k, double arl0) {
    if (!(arl0 > 1)) {
      throw new IllegalArgumentException("expected run length must be > 1 window: " + arl0);
    }
    double lo = 0;
    double hi = 1;
    while (arl(k, hi) < arl0) {
      hi *= 2;
      if (hi > 1e4) {
        throw new IllegalArgumentException("expected run length too large: " + arl0);
      }
    }
    if (arl(k, lo) >= arl0) {
      return 0;
    }
    for (int i = 0; i < 100; i++) {
      double mid = (lo + hi) / 2;
      if (arl(k, mid) < arl0) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return (lo + hi) / 2;
  }

  /** The next CUSUM value after observing {@code z}. */
  public static double step(double s, double z, double k, double h) {
    double c = Math.max(-Z_CAP, Math.min(Z_CAP, z));
    return Math.min(1.5 * h, Math.max(0, s + c - k));
  }
}
