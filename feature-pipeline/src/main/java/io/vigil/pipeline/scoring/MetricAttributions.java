package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

import io.vigil.features.FeatureSet;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds per-feature attributions into per-raw-metric ones (root-cause hints): a feature belongs to
 * the declared metric its name starts with ({@code cpu_r.w10.mean} → {@code cpu_r}, see {@link
 * FeatureSet#featureNames()}); the across-metric {@code summary.*} features belong to no metric and
 * are left out. Each metric's share is the sum of its features' shares (not renormalised), and only
 * the {@link #TOP} largest are kept, largest first.
 */
final class MetricAttributions implements Serializable {

  private static final long serialVersionUID = 1L;

  /** How many metrics a prediction names. */
  static final int TOP = 5;
  static final String SUMMARY = "summary";

  private final List<String> metrics;
  private final String setVersion;
  private final List<String> setFeatureNames;
  private transient Map<String, String> metricOfFeature;

  MetricAttributions(FeatureSet set) {
    requireNonNull(set, "set");
    this.metrics = List.copyOf(set.metrics());
    this.setVersion = set.version();
    this.setFeatureNames = List.copyOf(set.featureNames());
  }

  /**
   * The top metrics of one row, or an empty map when there are no attributions or the features
   * cannot be named (the vector carries no names and comes from another feature set).
   */
  Map<String, Double> of(ScoringInput in, float[] attributions) {
    if (attributions == null) {
      return Map.of();
    }
    List<String> names;
    if (in.names != null && in.names.length == attributions.length) {
      names = List.of(in.names);
    } else if (setVersion.equals(in.featureSetVersion) && setFeatureNames.size() == attributions.length) {
      names = setFeatureNames;
    } else {
      return Map.of();
    }
    Map<String, Double> byMetric = new HashMap<>();
    for (int i = 0; i < attributions.length; i++) {
      String metric = metricOf(names.get(i));
      float a = attributions[i];
      if (metric != null && Float.isFinite(a)) {
        byMetric.merge(metric, (double) a, Double::sum);
      }
    }
    List<Map.Entry<String, Double>> entries = new ArrayList<>(byMetric.entrySet());
    entries.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder())
        .thenComparing(Map.Entry.comparingByKey()));
    Map<String, Double> top = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(TOP, entries.size()); i++) {
      top.put(entries.get(i).getKey(), entries.get(i).getValue());
    }
    return top;
  }

  /** The raw metric of a feature name, or null for the across-metric summary features. */
  String metricOf(String feature) {
    if (metricOfFeature == null) {
      metricOfFeature = new HashMap<>();
    }
    String m = metricOfFeature.computeIfAbsent(feature, this::resolve);
    return m.isEmpty() ? null : m;
  }

  private String resolve(String feature) {
    String best = null;
    for (String m : metrics) {
      if (feature.startsWith(m + ".") && (best == null || m.length() > best.length())) {
        best = m;
      }
    }
    if (best == null) {
      int dot = feature.indexOf('.');
      best = dot > 0 ? feature.substring(0, dot) : feature;
    }
    return best.equals(SUMMARY) ? "" : best;
  }
}
