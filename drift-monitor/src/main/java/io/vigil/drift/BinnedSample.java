package io.vigil.drift;

/**
 * A joined sample binned against its model version's reference (see {@link ReferenceModel#bin}):
 * what the window aggregate adds up. A Flink POJO.
 */
public class BinnedSample {
  public String modelName;
  public String modelVersion;
  public long time;
  public int[] cells;
  /** Features outside their edges: {@code i} over the last edge, {@code -(i + 1)} under the first. */
  public int[] outside;
  public double[] outsideValues;
  public int totalCells;
  public double probability = Double.NaN;
  public boolean anomaly;

  public BinnedSample() {}

  public String modelKey() {
    return DriftInput.modelKey(modelName, modelVersion);
  }
}
