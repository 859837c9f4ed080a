package io.vigil.features;

import static java.util.Objects.requireNonNull;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds per-feature attributions into per-raw-metric ones, the root-cause hints of a prediction: a
 * feature belongs to the raw metric its name starts with ({@code cpu_r.w10.mean} → {@code cpu_r};
 * the longest matching metric wins, see {@link FeatureSet#featureNames()}); the across-metric
 * {@code summary.*} features belong to no metric and are left out. A metric's share is the sum of
 * its features' shares, not renormalised; non-finite shares are skipped. Metrics are ranked by share,
 * largest first, ties in the metrics' declared order.
 *
 * <p>One class for the streaming scoring stage (the attributions each {@code Prediction} carries)
 * and {@code vigil eval} (the rankings HitRate@P% is measured on), so that eval measures the hints
 * the running system gives.
 */
public final class MetricAttributions implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The prefix of the across-metric features, which belong to no metric. */
  public static final String SUMMARY = "summary";

  /** The most metrics a {@code Prediction} names (a set of hundreds of metrics keeps its top ones). */
  public static final int PREDICTION_MAX = 64;

  private final List<String> metrics;
  private final int[] metricOfFeature;

  /**
   * @param metrics the raw metrics, in their declared order
   * @param featureNames the names of the attributions' columns, in order
   */
  public MetricAttributions(List<String> metrics, List<String> featureNames) {
    this.metrics = List.copyOf(requireNonNull(metrics, "metrics"));
    this.metricOfFeature = new int[featureNames.size()];
    for (int f = 0; f < featureNames.size(); f++) {
      String name = featureNames.get(f);
      int best = -1;
      for (int m = 0; m < this.metrics.size(); m++) {
        String metric = this.metrics.get(m);
        if (name.startsWith(metric + ".") && !metric.equals(SUMMARY)
            && (best < 0 || metric.length() > this.metrics.get(best).length())) {
          best = m;
        }
      }
      metricOfFeature[f] = best;
    }
  }

  /**
   * For columns named by {@code featureNames} alone (a vector that carries its names): the metrics are
   * the names' prefixes before the first dot, in order of first appearance, {@code summary} left out.
   */
  public static MetricAttributions fromNames(List<String> featureNames) {
    List<String> metrics = new ArrayList<>();
    for (String name : featureNames) {
      int dot = name.indexOf('.');
      String metric = dot > 0 ? name.substring(0, dot) : name;
      if (!metric.equals(SUMMARY) && !metrics.contains(metric)) {
        metrics.add(metric);
      }
    }
    return new MetricAttributions(metrics, featureNames);
  }

  /** The attributions of a feature set's own vectors. */
  public static MetricAttributions of(FeatureSet set) {
    return new MetricAttributions(set.metrics(), set.featureNames());
  }

  public List<String> metrics() {
    return metrics;
  }

  /** The number of feature columns this folds. */
  public int features() {
    return metricOfFeature.length;
  }

  /** Per-metric sums of row {@code row} of row-major feature attributions of width {@code cols}. */
  public float[] perMetric(float[] featureAttributions, int row, int cols) {
    if (cols != metricOfFeature.length) {
      throw new IllegalArgumentException(cols + " attribution columns for " + metricOfFeature.length + " features");
    }
    float[] out = new float[metrics.size()];
    int base = row * cols;
    for (int f = 0; f < cols; f++) {
      int m = metricOfFeature[f];
      float a = featureAttributions[base + f];
      if (m >= 0 && Float.isFinite(a)) {
        out[m] += a;
      }
    }
    return out;
  }

  /** Metric names ordered by attribution, largest first (ties in declared order). */
  public List<String> ranked(float[] perMetric) {
    List<String> out = new ArrayList<>(perMetric.length);
    for (int i : order(perMetric)) {
      out.add(metrics.get(i));
    }
    return out;
  }

  /**
   * What a {@code Prediction} carries: the metrics with a positive share, largest first (ties in
   * declared order), at most {@code max}.
   */
  public Map<String, Double> top(float[] perMetric, int max) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (int i : order(perMetric)) {
      if (out.size() == max || !(perMetric[i] > 0)) {
        break;
      }
      out.put(metrics.get(i), (double) perMetric[i]);
    }
    return out;
  }

  private static List<Integer> order(float[] perMetric) {
    List<Integer> idx = new ArrayList<>(perMetric.length);
    for (int i = 0; i < perMetric.length; i++) {
      idx.add(i);
    }
    idx.sort((a, b) -> {
      int c = Float.compare(perMetric[b], perMetric[a]);
      return c != 0 ? c : Integer.compare(a, b);
    });
    return idx;
  }
}
