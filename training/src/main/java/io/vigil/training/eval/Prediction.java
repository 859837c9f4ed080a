package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

/**
 * One logged prediction: the window's sequence, its score on the common scale, whether the model
 * flagged it, and per-metric attributions (may be empty).
 */
public record Prediction(long sequence, double score, boolean flagged, float[] metricAttributions) {
  public Prediction {
    requireNonNull(metricAttributions, "metricAttributions");
  }
}
