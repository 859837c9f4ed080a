package io.vigil.drift;

import io.vigil.drift.stats.PerformanceEstimate;

/**
 * A window's incremental, mergeable aggregate for one model version: the live histogram of every
 * profiled feature and of the score over the reference's edges (flat counts, see {@link
 * ReferenceModel}), the sums of out-of-range values per feature, and the expected confusion counts
 * for CBPE. A Flink POJO; {@link #merge} adds two partial windows (e.g. from parallel subtasks).
 */
public final class WindowAccumulator {
  public long samples;
  public long flagged;
  public long[] counts;
  public double[] below;
  public double[] above;
  public PerformanceEstimate.Expected expected = new PerformanceEstimate.Expected();

  public WindowAccumulator() {}

  public void merge(WindowAccumulator o) {
    if (o.counts == null) {
      samples += o.samples;
      flagged += o.flagged;
      expected.merge(o.expected);
      return;
    }
    ensure(o.counts.length, o.below.length);
    if (o.counts.length != counts.length || o.below.length != below.length) {
      throw new IllegalArgumentException("cannot merge windows over different reference layouts");
    }
    samples += o.samples;
    flagged += o.flagged;
    for (int i = 0; i < counts.length; i++) {
      counts[i] += o.counts[i];
    }
    for (int i = 0; i < below.length; i++) {
      below[i] += o.below[i];
      above[i] += o.above[i];
    }
    expected.merge(o.expected);
  }

  void ensure(int totalCells, int features) {
    if (counts == null) {
      counts = new long[totalCells];
      below = new double[features];
      above = new double[features];
    }
  }
}
