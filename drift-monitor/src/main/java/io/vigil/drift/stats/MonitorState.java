package io.vigil.drift.stats;

/**
 * What the drift monitor remembers about one model version between windows: the warm-up baseline
 * of the per-window statistic and of each feature's PSI, the CUSUM value and the alarm. A Flink POJO
 * (public fields, no-argument constructor), kept in keyed state; small (one double per feature).
 */
public final class MonitorState {
  /** Windows assessed so far. */
  public long windows;
  /** Warm-up windows folded into the baseline so far. */
  public long warmup;
  /** Warm-up windows folded into the statistic's baseline. */
  public long statisticWindows;
  /** Running mean and sum of squared deviations (Welford) of the statistic over the warm-up. */
  public double mean;
  public double m2;
  /** Per feature, the sum of {@code ln(PSI + 0.001)} over the warm-up windows. */
  public double[] baselineLogPsi;
  /** PER_METRIC: per metric (first-appearance order), warm-up mean, Welford M2 and CUSUM. */
  public double[] metricMean;
  public double[] metricM2;
  public double[] metricCusum;
  /** The CUSUM value (PER_METRIC: the largest metric CUSUM over its threshold, times h). */
  public double cusum;
  public HysteresisAlarm alarm = new HysteresisAlarm();
  /** Alarms raised so far. */
  public long alarmsRaised;

  public MonitorState() {}

  /** Baseline standard deviation of the statistic, floored. */
  public double std(double floor) {
    return statisticWindows < 2 ? floor : Math.max(floor, Math.sqrt(m2 / (statisticWindows - 1)));
  }
}
