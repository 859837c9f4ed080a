package io.vigil.drift;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Maps a feature name to the raw metric it is computed from: feature names are {@code
 * <metric>.<window>.<aggregation>}, {@code <metric>.last}, {@code <metric>.ewma_z} (see the
 * features module's {@code FeatureSet.featureNames()}), and the across-metric summary features
 * {@code summary.*} map to {@code summary}. The longest known metric that prefixes the name wins,
 * so metric names may contain dots.
 */
public final class FeatureMetrics implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<String> metrics;

  public FeatureMetrics(List<String> metrics) {
    List<String> sorted = new ArrayList<>(metrics);
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    this.metrics = List.copyOf(sorted);
  }

  public String metricOf(String feature) {
    for (String m : metrics) {
      if (feature.length() > m.length() && feature.startsWith(m) && feature.charAt(m.length()) == '.') {
        return m;
      }
    }
    int dot = feature.indexOf('.');
    return dot > 0 ? feature.substring(0, dot) : feature;
  }
}
