package io.vigil.drift;

/**
 * One sample waiting in {@link EntityJoin} (an entry of {@link EntityJoinState}): the vector (once it
 * has come), whether it met a prediction, and the predictions waiting for it. The join changes the
 * flags and fields of an entry in place, but never an array or a pending prediction (it assigns new
 * ones), so {@link EntityJoinStateSerializer#copy} copies entries and shares their arrays.
 */
public class JoinState {
  /** Whether {@link #values} holds the vector. */
  public boolean hasVector;
  public boolean matched;
  /** Event time of the sample (of the vector, or of the first prediction while there is no vector). */
  public long time;
  public String entity;
  public String featureSetVersion;
  public String[] names;
  public float[] values;
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
