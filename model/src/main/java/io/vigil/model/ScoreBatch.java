package io.vigil.model;

import static java.util.Objects.requireNonNull;

/**
 * The answers for a {@link FeatureBatch}, one per row.
 *
 * @param scores scores on the common scale ({@link ModelSpec.ScoreScale})
 * @param uncertainty per row, in (0, 1]
 * @param attributions row-major {@code rows x inputSize} shares of the score, or null when the
 *     model gives none
 * @param probability per row, the calibrated probability of an anomaly, or null when the model has
 *     no supervised head ({@link ModelSpec.Head})
 */
public record ScoreBatch(float[] scores, float[] uncertainty, float[] attributions, int cols,
    float[] probability) {
  public ScoreBatch {
    requireNonNull(scores, "scores");
    requireNonNull(uncertainty, "uncertainty");
    if (uncertainty.length != scores.length
        || (attributions != null && attributions.length != (long) scores.length * cols)
        || (probability != null && probability.length != scores.length)) {
      throw new IllegalArgumentException("score batch arrays disagree in length");
    }
  }

  /** Answers of a model without a head. */
  public ScoreBatch(float[] scores, float[] uncertainty, float[] attributions, int cols) {
    this(scores, uncertainty, attributions, cols, null);
  }

  public int rows() {
    return scores.length;
  }

  /** Rows {@code [from, from + n)} as a new batch. */
  public ScoreBatch slice(int from, int n) {
    float[] s = new float[n];
    float[] u = new float[n];
    System.arraycopy(scores, from, s, 0, n);
    System.arraycopy(uncertainty, from, u, 0, n);
    float[] a = null;
    if (attributions != null) {
      a = new float[n * cols];
      System.arraycopy(attributions, from * cols, a, 0, n * cols);
    }
    float[] p = null;
    if (probability != null) {
      p = new float[n];
      System.arraycopy(probability, from, p, 0, n);
    }
    return new ScoreBatch(s, u, a, cols, p);
  }
}
