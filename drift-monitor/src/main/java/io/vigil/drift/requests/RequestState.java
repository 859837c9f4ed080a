package io.vigil.drift.requests;

/**
 * The label-request operator's own memory of one entity, beside the shared {@code
 * EntityQueryState}: the attributions of the last window asked about (for the diversity weight)
 * and whether the current run of anomalous windows has already been asked about (burst
 * de-duplication). A Flink POJO.
 */
public class RequestState {
  /** Metric names of the last asked window's attributions (parallel to {@link #lastValues}). */
  public String[] lastMetrics;
  public double[] lastValues;
  /** True from a request on an anomalous window until the model calls a window normal again. */
  public boolean burstAsked;

  public RequestState() {}
}
