package io.vigil.selection;

/**
 * Uncertainty of a binary answer, from 0 (sure) to 1 (a coin toss). For a calibrated probability
 * {@code p} of "anomaly" use one of the measures; without a probability, {@link #ofScore} turns a
 * score on the common scale into one by its distance to the operating threshold.
 */
public enum UncertaintyMeasure {
  /** {@code 2 (1 - max(p, 1-p))}. */
  LEAST_CONFIDENCE,
  /** One minus the margin between the two classes: {@code 1 - |p - (1-p)|}. */
  MARGIN,
  /** Binary entropy in bits. */
  ENTROPY;

  public double of(double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("a probability is in [0, 1], not " + p);
    }
    return switch (this) {
      case LEAST_CONFIDENCE -> 2 * (1 - Math.max(p, 1 - p));
      case MARGIN -> 1 - Math.abs(2 * p - 1);
      case ENTROPY -> p == 0 || p == 1 ? 0 : -(p * log2(p) + (1 - p) * log2(1 - p));
    };
  }

  /** {@code exp(-|score - threshold|)}: 1 on the threshold, 0.5 at a distance of ln 2. */
  public static double ofScore(double score, double threshold) {
    return Math.exp(-Math.abs(score - threshold));
  }

  /**
   * 1 for a score at or above a query level (an alert worth confirming), 0 below: with a level that
   * follows the score stream ({@link ScoreLevel}) rather than a fixed threshold.
   */
  public static double ofLevel(double score, double level) {
    return score >= level ? 1 : 0;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
