package io.vigil.drift.requests;

/**
 * What the label-request operator holds about one entity's time step (keyed by its event time):
 * the raw telemetry sample (context for later requests), and until the window is decided its
 * feature vector and prediction, all as the bytes read from Kafka. A Flink POJO.
 */
public class WindowSlot {
  public byte[] telemetry;
  public byte[] features;
  public byte[] prediction;
  /**
   * Uncertainty of {@link #prediction} when it arrived, and its model score (the tie-breaker: under
   * the level, the higher score stays the more uncertain whatever the level is when the window is
   * decided), to keep the most uncertain of several models' answers.
   */
  public double predictionUncertainty;
  public double predictionScore;
  /** The trace context of {@link #prediction} (null when it had none), for the request it may lead to. */
  public String predictionTraceparent;
  public String predictionTracestate;
  /** Whether the request decision for this window has been made. */
  public boolean decided;
  /** Whether the watermark passed this window (its decision time) without a prediction. */
  public boolean missed;

  public WindowSlot() {}
}
