package io.vigil.features;

import java.util.Locale;

/** What a window contributes per metric. Each is O(1) (amortised) per sample. */
public enum Aggregation {
  MEAN,
  /** Population standard deviation over the window. */
  STD,
  MIN,
  MAX,
  /** Least-squares slope of value against time, per second. */
  SLOPE,
  /** Mean of this window minus the mean of the window of the same size just before it. */
  DELTA;

  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
