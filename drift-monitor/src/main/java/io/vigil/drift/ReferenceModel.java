package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import io.vigil.drift.stats.BinEdges;
import io.vigil.drift.stats.Histogram;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model version's reference profile prepared for one layout of feature vectors: the bin edges
 * and reference histograms of every profiled feature (built once and cached, never re-scanned), the
 * column of each in the vectors, its metric, and the flat layout of a window's counts (features in
 * profile order, then the score). Immutable; built once per model version per subtask.
 */
public final class ReferenceModel {

  private final String modelName;
  private final String modelVersion;
  private final List<String> features;
  private final List<String> metrics;
  private final int[] columns;
  private final BinEdges[] edges;
  private final Histogram[] reference;
  private final double[] scale;
  private final int[] offsets;
  private final int totalCells;
  private final Map<String, String> metricByFeature;

  private ReferenceModel(String modelName, String modelVersion, ReferenceProfile profile,
      List<String> vectorNames, FeatureMetrics metricsOf) {
    this.modelName = requireNonNull(modelName, "modelName");
    this.modelVersion = requireNonNull(modelVersion, "modelVersion");
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < vectorNames.size(); i++) {
      index.putIfAbsent(vectorNames.get(i), i);
    }
    int f = profile.features().size();
    this.features = new ArrayList<>(f);
    this.metrics = new ArrayList<>(f);
    this.columns = new int[f];
    this.edges = new BinEdges[f + 1];
    this.reference = new Histogram[f + 1];
    this.scale = new double[f + 1];
    this.offsets = new int[f + 2];
    List<String> missing = new ArrayList<>();
    int off = 0;
    for (int i = 0; i <= f; i++) {
      ReferenceProfile.Hist h = i < f ? profile.features().get(i) : profile.score();
      if (i < f) {
        Integer col = index.get(h.name());
        if (col == null) {
          missing.add(h.name());
        } else {
          columns[i] = col;
        }
        features.add(h.name());
        metrics.add(metricsOf.metricOf(h.name()));
      }
      edges[i] = h.binEdges();
      reference[i] = h.histogram();
      scale[i] = h.scale();
      offsets[i] = off;
      off += edges[i].cells();
    }
    offsets[f + 1] = off;
    this.totalCells = off;
    this.metricByFeature = new HashMap<>(2 * f);
    for (int i = f - 1; i >= 0; i--) { // the first of duplicated names wins, as with indexOf
      metricByFeature.put(features.get(i), metrics.get(i));
    }
    if (!missing.isEmpty()) {
      throw new ReferenceMismatchException("model " + modelName + " version " + modelVersion
          + ": the reference profile has " + missing.size() + " features the vectors lack, e.g. "
          + missing.subList(0, Math.min(5, missing.size())));
    }
  }

  /** Thrown when vectors and the reference profile do not fit together. */
  public static final class ReferenceMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ReferenceMismatchException(String message) {
      super(message);
    }
  }

  public static ReferenceModel of(String modelName, String modelVersion, ReferenceProfile profile,
      List<String> vectorNames, FeatureMetrics metricsOf) {
    return new ReferenceModel(modelName, modelVersion, profile, vectorNames, metricsOf);
  }

  public String modelName() {
    return modelName;
  }

  public String modelVersion() {
    return modelVersion;
  }

  /** Number of profiled features (the score is index {@code featureCount()}). */
  public int featureCount() {
    return features.size();
  }

  public List<String> features() {
    return features;
  }

  public String metricOfFeature(String feature) {
    return metricByFeature.getOrDefault(feature, feature);
  }

  public List<String> metrics() {
    return metrics;
  }

  public int totalCells() {
    return totalCells;
  }

  public int offset(int feature) {
    return offsets[feature];
  }

  public BinEdges edges(int feature) {
    return edges[feature];
  }

  public Histogram reference(int feature) {
    return reference[feature];
  }

  public double scale(int feature) {
    return scale[feature];
  }

  /**
   * Bins one sample (each profiled feature's value, then the score) against the reference edges and
   * adds it into {@code w}: its flat cell per feature, and the values that fell under or over the
   * edges into the out-of-range sums.
   */
  public void addTo(WindowAccumulator w, float[] vector, double score, double probability, boolean anomaly) {
    int f = features.size();
    w.ensure(totalCells, f + 1);
    long[] counts = w.counts;
    for (int i = 0; i <= f; i++) {
      double v = i < f ? vector[columns[i]] : score;
      BinEdges e = edges[i];
      int c = e.cellOf(v);
      counts[offsets[i] + c]++;
      if (c == 0) {
        w.below[i] += v;
      } else if (c == e.cells() - 1) {
        w.above[i] += v;
      }
    }
    w.samples++;
    w.flagged += anomaly ? 1 : 0;
    w.expected.add(probability, anomaly);
  }

  /** The live histogram of feature {@code i} (or the score, {@code i == featureCount()}) in {@code w}. */
  public Histogram live(WindowAccumulator w, int i) {
    long[] cells = new long[edges[i].cells()];
    System.arraycopy(w.counts, offsets[i], cells, 0, cells.length);
    return Histogram.of(edges[i], cells, w.below[i], w.above[i]);
  }
}
