package io.vigil.model;

import static java.util.Objects.requireNonNull;

/**
 * The answers for a {@link FeatureBatch}, one per row.
 *
 * @param scores scores on the common scale ({@link ModelSpec.ScoreScale})
 * @param uncertainty per row, in (0, 1]
 * @param attributions row-major {@code rows x inputSize} shares of the score, or null when the
 *     model gives none
 */
public record ScoreBatch(float[] scores, float[] uncertainty, float[] attributions, int cols) {
  public ScoreBatch {
    requireNonNull(scores, "scores");
    requireNonNull(uncertainty, "uncertainty");
    if (uncertainty.length != scores.length
        || (attributions != null && attributions.length != (long) scores.length * cols)) {
      throw new IllegalArgumentException("score batch arrays disagree in length");
    }
  }

  public int rows() {
    return scores.length;
  }
}
