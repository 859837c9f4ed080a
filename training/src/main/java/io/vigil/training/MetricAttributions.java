package io.vigil.training;

import java.util.ArrayList;
import java.util.List;

/**
 * Sums per-feature attributions into per-raw-metric attributions: a feature belongs to the metric
 * its name starts with ({@code cpu_r.w10.mean} → {@code cpu_r}); features of no metric (the
 * {@code summary.*} features) are left out.
 */
public final class MetricAttributions {

  private final List<String> metrics;
  private final int[] metricOfFeature;

  public MetricAttributions(List<String> metrics, List<String> featureNames) {
    this.metrics = List.copyOf(metrics);
    this.metricOfFeature = new int[featureNames.size()];
    for (int f = 0; f < featureNames.size(); f++) {
      String name = featureNames.get(f);
      int best = -1;
      for (int m = 0; m < this.metrics.size(); m++) {
        String prefix = this.metrics.get(m) + ".";
        if (name.startsWith(prefix) && (best < 0 || prefix.length() > this.metrics.get(best).length() + 1)) {
          best = m;
        }
      }
      metricOfFeature[f] = best;
    }
  }

  public List<String> metrics() {
    return metrics;
  }

  /** Per-metric sums of row {@code row} of row-major feature attributions of width {@code cols}. */
  public float[] perMetric(float[] featureAttributions, int row, int cols) {
    float[] out = new float[metrics.size()];
    int base = row * cols;
    for (int f = 0; f < cols; f++) {
      int m = metricOfFeature[f];
      if (m >= 0) {
        out[m] += featureAttributions[base + f];
      }
    }
    return out;
  }

  /** Metric names ordered by attribution, largest first (ties by metric order). */
  public List<String> ranked(float[] perMetric) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < perMetric.length; i++) {
      idx.add(i);
    }
    idx.sort((a, b) -> {
      int c = Float.compare(perMetric[b], perMetric[a]);
      return c != 0 ? c : Integer.compare(a, b);
    });
    List<String> out = new ArrayList<>(idx.size());
    for (int i : idx) {
      out.add(metrics.get(i));
    }
    return out;
  }
}
