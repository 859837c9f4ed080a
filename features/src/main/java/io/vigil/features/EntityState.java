package io.vigil.features;

/**
 * Everything the feature engine remembers about one entity. A plain mutable object of primitive
 * arrays with public fields and a no-arg constructor, so a stream processor can keep it in its
 * keyed state as a POJO (Flink serialises it field by field, exactly) and the offline path can keep
 * it in a map. Only {@link FeatureEngine} reads or writes it.
 *
 * <p>Layout, for M metrics and K windows: window k keeps a ring of capacity {@code 2 * cap_k}
 * holding its previous segment then its current segment (oldest first); per-metric arrays are
 * flattened as {@code [k][m][slot]}.
 */
public class EntityState {

  /** Samples seen so far. */
  public long count;
  /** Event time of the last sample, epoch ms. */
  public long lastTime = Long.MIN_VALUE;
  /** Event time of the first sample (origin of the slope's time axis). */
  public long originTime;
  /** Per metric: value subtracted before summing (numerical stability), the first value seen. */
  public double[] shift;

  // ---- per window k ----
  /** Ring of sample times, per window: [k][slot]. */
  public long[] times;
  /** Ring of values: [k][m][slot]. */
  public double[] values;
  /** Index of the oldest entry in the ring, per window. */
  public int[] start;
  /** Entries of the previous segment, per window. */
  public int[] prevSize;
  /** Entries of the current segment, per window. */
  public int[] curSize;
  /** Samples since the sums were last recomputed from the ring, per window. */
  public int[] sinceRecompute;
  /** Absolute index (count) of the oldest entry in the ring, per window. */
  public long[] startAbs;
  /** Sums over the current segment: time axis x (seconds from origin) and x squared, per window. */
  public double[] sx;
  public double[] sxx;
  /** Sums per [k][m]: current values, squares, x*value; previous segment values. */
  public double[] sy;
  public double[] syy;
  public double[] sxy;
  public double[] prevSy;
  /** Monotonic deques of absolute sample indexes over the current segment, per [k][m][slot]. */
  public long[] minDeque;
  public long[] maxDeque;
  /** Head and length of each deque, per [k][m]. */
  public int[] minHead;
  public int[] minLen;
  public int[] maxHead;
  public int[] maxLen;

  // ---- EWMA per metric ----
  public double[] ewmaMean;
  public double[] ewmaVar;

  public EntityState() {}
}
