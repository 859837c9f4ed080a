package io.vigil.drift.requests;

/**
 * The latest drift verdict for one model (broadcast state): the raw metrics behind its drifted
 * features. A Flink POJO.
 */
public class DriftedMetrics {
  public String modelVersion;
  /** Window end of the drift report, epoch ms; older reports do not replace newer ones. */
  public long windowEnd;
  /** Metrics with at least one drifted feature ({@code metric.window.agg} → {@code metric}). */
  public String[] metrics;
  public boolean alarm;

  public DriftedMetrics() {}
}
