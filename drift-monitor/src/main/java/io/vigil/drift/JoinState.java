package io.vigil.drift;

/**
 * The keyed state of one sample id in {@link SampleJoin}, in one value: the vector (once it has
 * come), whether it met a prediction, and the predictions waiting for it. One state object instead
 * of three means one state lookup per record, and a compact checkpoint (no sample id per entry: it
 * is the key). Arrays and pending predictions are never changed in place (the join assigns new
 * ones), which {@link JoinStateSerializer#copy} relies on. Serialized by {@link JoinStateSerializer}.
 */
public class JoinState {
  /** Whether {@link #values} holds the vector. */
  public boolean hasVector;
  public boolean matched;
  /** Event time of the vector. */
  public long time;
  public String entity;
  public String featureSetVersion;
  public String[] names;
  public double[] values;
  /** Predictions that came before the vector, or null. */
  public PendingPrediction[] pending;

  public JoinState() {}

  /** A prediction waiting for its vector: only what the joined sample needs. A Flink POJO. */
  public static class PendingPrediction {
    public long time;
    public String modelName;
    public String modelVersion;
    public double score;
    public double probability = Double.NaN;
    public boolean anomaly;

    public PendingPrediction() {}

    static PendingPrediction of(DriftInput p) {
      PendingPrediction q = new PendingPrediction();
      q.time = p.time;
      q.modelName = p.modelName;
      q.modelVersion = p.modelVersion;
      q.score = p.score;
      q.probability = p.probability;
      q.anomaly = p.anomaly;
      return q;
    }
  }
}
