package io.vigil.drift;

/**
 * A labelled prediction (or, with {@code estimate = true}, a window's CBPE estimate from a drift
 * report), keyed by model version, for checking estimated against realised performance. A Flink POJO.
 */
public class LabelOutcome {
  public String modelName;
  public String modelVersion;
  /** Event time of the prediction (or the report's window start). */
  public long time;
  public boolean predicted;
  public boolean actual;
  /**
   * True when this takes back an outcome emitted earlier (same model version, time, flag and
   * {@code actual}): the sample's label was replaced or retracted.
   */
  public boolean retract;
  /** True for a report's estimate rather than a label. */
  public boolean estimate;
  /** The report's estimated F1 (NaN when it had none). */
  public double estimatedF1 = Double.NaN;

  public LabelOutcome() {}

  public String modelKey() {
    return DriftInput.modelKey(modelName, modelVersion);
  }
}
