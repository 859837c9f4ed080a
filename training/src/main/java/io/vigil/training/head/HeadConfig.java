package io.vigil.training.head;

/**
 * How the supervised head is fitted and calibrated ({@link SupervisedHeadTrainer}).
 *
 * @param topErrors how many of a row's largest attributions are head inputs besides the score
 * @param l2 L2 penalty on the (standardised) weights; the intercept is not penalised
 * @param calibrationShare last share of the (time-ordered) labelled rows kept out of the fit: the
 *     Platt calibration and the operating threshold are chosen on them
 * @param minLabels fewer usable labelled rows than this: no head (the threshold may still move)
 * @param minPerClass fewer anomalies or normal rows than this among the fit rows: no head
 * @param maxIterations Newton iterations of the logistic fit at most
 */
public record HeadConfig(int topErrors, double l2, double calibrationShare, int minLabels, int minPerClass,
    int maxIterations) {

  public HeadConfig {
    if (topErrors < 0 || topErrors > 64) {
      throw new IllegalArgumentException("head.topErrors must be in 0..64, not " + topErrors);
    }
    if (!(l2 >= 0) || !Double.isFinite(l2)) {
      throw new IllegalArgumentException("head.l2 must be finite and >= 0");
    }
    if (!(calibrationShare > 0 && calibrationShare < 1)) {
      throw new IllegalArgumentException("head.calibrationShare must be in (0, 1)");
    }
    if (minLabels < 2 || minPerClass < 1 || maxIterations < 1) {
      throw new IllegalArgumentException("head.minLabels must be >= 2, head.minPerClass and"
          + " head.maxIterations >= 1");
    }
  }

  /** The defaults (see the module README and ADR 0005). */
  public static HeadConfig defaults() {
    return new HeadConfig(3, 1.0, 0.3, 20, 3, 50);
  }
}
