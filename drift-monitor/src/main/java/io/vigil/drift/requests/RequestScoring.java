package io.vigil.drift.requests;

import io.vigil.schemas.Prediction;
import io.vigil.selection.UncertaintyMeasure;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The numbers the label-request operator feeds to {@code QueryPolicy.decide}: a window's
 * uncertainty and the weights for drift contribution and diversity. Pure functions.
 */
final class RequestScoring {

  private RequestScoring() {}

  /**
   * The window's uncertainty, as {@code vigil eval} measures it: {@link UncertaintyMeasure#ofLevel}
   * of the model score against the entity's query level (1 at or above it, 0 below; the level is
   * +inf during its warm-up). A probability measure is used instead when one is configured and the
   * prediction carries a calibrated probability.
   */
  static double uncertainty(Prediction p, LabelRequestConfig.Measure measure, double level) {
    Double prob = p.getProbability();
    UncertaintyMeasure ofProbability = measure.ofProbability();
    return prob != null && ofProbability != null
        ? ofProbability.of(prob)
        : UncertaintyMeasure.ofLevel(p.getScore(), level);
  }

  /**
   * {@code 1 + boost * share}, where share is the part of the window's {@code top} largest
   * attributions (by absolute value) that falls on drifted metrics; 1 without drift or attributions.
   */
  static double driftWeight(Map<String, Double> attributions, Set<String> drifted, int top, double boost) {
    if (drifted.isEmpty() || attributions.isEmpty()) {
      return 1;
    }
    List<Map.Entry<String, Double>> sorted = new ArrayList<>(attributions.entrySet());
    sorted.sort(Comparator.comparingDouble((Map.Entry<String, Double> e) -> -Math.abs(e.getValue()))
        .thenComparing(Map.Entry::getKey));
    double all = 0;
    double onDrifted = 0;
    for (int i = 0; i < Math.min(top, sorted.size()); i++) {
      double a = Math.abs(sorted.get(i).getValue());
      all += a;
      if (drifted.contains(sorted.get(i).getKey())) {
        onDrifted += a;
      }
    }
    return all > 0 ? 1 + boost * onDrifted / all : 1;
  }

  /**
   * {@code 1 - strength * max(0, cos)} of the window's attributions and those of the last window
   * asked about on the entity: a window that looks like the last question weighs less. 1 when there
   * is no last question or either vector is empty.
   */
  static double diversity(Map<String, Double> attributions, String[] lastMetrics, double[] lastValues,
      double strength) {
    if (lastMetrics == null || lastMetrics.length == 0 || attributions.isEmpty()) {
      return 1;
    }
    Map<String, Double> last = new HashMap<>();
    for (int i = 0; i < lastMetrics.length; i++) {
      last.put(lastMetrics[i], lastValues[i]);
    }
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (Map.Entry<String, Double> e : attributions.entrySet()) {
      double a = e.getValue();
      na += a * a;
      Double b = last.get(e.getKey());
      if (b != null) {
        dot += a * b;
      }
    }
    for (double b : lastValues) {
      nb += b * b;
    }
    if (na == 0 || nb == 0) {
      return 1;
    }
    double cos = dot / Math.sqrt(na * nb);
    return 1 - strength * Math.max(0, Math.min(1, cos));
  }

  /** The raw metric of a feature name ({@code cpu_r.w10.mean} → {@code cpu_r}). */
  static String metricOf(String feature) {
    int dot = feature.indexOf('.');
    return dot < 0 ? feature : feature.substring(0, dot);
  }
}
