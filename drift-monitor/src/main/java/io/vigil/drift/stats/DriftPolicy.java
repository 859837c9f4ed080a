package io.vigil.drift.stats;

/**
 * When a feature counts as drifted, and when a model version's drift raises an alarm. The
 * configuration section {@code drift} of the drift job.
 *
 * @param bins unused by the statistics (the reference's edges decide); kept for symmetry with
 *     training's profile and validated &gt; 0
 * @param psiThreshold a feature is drifted when its PSI exceeds this (0 disables this test)
 * @param jsThreshold ... or its Jensen–Shannon divergence exceeds this (0 disables)
 * @param ksThreshold ... or its KS statistic exceeds this (0 disables)
 * @param wassersteinThreshold ... or its Wasserstein distance (in reference standard deviations)
 *     exceeds this (0 disables)
 * @param epsilon floor of empty-cell shares in PSI
 * @param expectedRunLength ARL0: windows between false alarms of the online detector on
 *     stationary data (sets the CUSUM threshold, see {@link Cusum})
 * @param cusumK CUSUM reference value, in standard deviations of the per-window statistic (half
 *     the smallest shift worth detecting quickly)
 * @param warmupWindows windows of a model version that establish the in-control baseline before the
 *     detector runs: each feature's usual PSI over the first half, the mean and standard deviation
 *     of the statistic over the second half (all of it for the statistics that do not need the
 *     features' baseline)
 * @param minStd floor of the baseline standard deviation of the statistic
 * @param statistic the per-window statistic the detector watches
 * @param riseFactor for {@link Statistic#RISEN_SHARE}: how many times its usual PSI a feature must
 *     reach to count as risen
 * @param raiseAfter consecutive out-of-control windows that raise an alarm
 * @param clearAfter consecutive in-control windows that clear it
 * @param alarmShare a window whose drifted share exceeds this also counts as out of control
 *     (an absolute guard; 1 = off, because on real data many features sit above the PSI rule of
 *     thumb all the time)
 * @param alarmTopMetrics how many metrics the alarm reason names
 */
public record DriftPolicy(int bins, double psiThreshold, double jsThreshold, double ksThreshold,
    double wassersteinThreshold, double epsilon, double expectedRunLength, double cusumK,
    int warmupWindows, double minStd, Statistic statistic, double riseFactor, int raiseAfter,
    int clearAfter, double alarmShare, int alarmTopMetrics) implements java.io.Serializable {

  /** What the online detector watches per window. */
  public enum Statistic {
    /**
     * One CUSUM per raw metric, on the mean {@code ln(PSI + 0.001)} of the metric's features
     * standardised by that metric's warm-up mean and standard deviation; each CUSUM's threshold is
     * set for an expected run length of {@code ARL0 x metrics}, so by the union bound the whole
     * monitor signals falsely at most about once per ARL0 windows. Sensitive to a few metrics
     * moving a lot while the others wander as usual.
     */
    PER_METRIC,
    /**
     * The share of features that are drifted and whose PSI rose above {@code riseFactor} times its
     * usual (warm-up, geometric mean) level: sensitive to a few features moving a lot, also when
     * they were already off the reference.
     */
    RISEN_SHARE,
    /** The share of features whose drift test fires. */
    DRIFTED_SHARE,
    /** The mean over features of {@code ln(PSI + 0.001)}. */
    MEAN_LOG_PSI
  }

  public DriftPolicy {
    if (bins <= 0) {
      throw new IllegalArgumentException("bins must be > 0");
    }
    nonNegative("psiThreshold", psiThreshold);
    nonNegative("jsThreshold", jsThreshold);
    nonNegative("ksThreshold", ksThreshold);
    nonNegative("wassersteinThreshold", wassersteinThreshold);
    if (psiThreshold == 0 && jsThreshold == 0 && ksThreshold == 0 && wassersteinThreshold == 0) {
      throw new IllegalArgumentException("at least one of psiThreshold, jsThreshold, ksThreshold,"
          + " wassersteinThreshold must be > 0");
    }
    if (!(epsilon > 0 && epsilon < 0.1)) {
      throw new IllegalArgumentException("epsilon must be in (0, 0.1): " + epsilon);
    }
    if (!(expectedRunLength > 1)) {
      throw new IllegalArgumentException("expectedRunLength must be > 1 window: " + expectedRunLength);
    }
    if (!(cusumK > 0)) {
      throw new IllegalArgumentException("cusumK must be > 0");
    }
    if (warmupWindows < 4) {
      throw new IllegalArgumentException("warmupWindows must be >= 4");
    }
    if (!(riseFactor > 1)) {
      throw new IllegalArgumentException("riseFactor must be > 1: " + riseFactor);
    }
    if (!(minStd > 0)) {
      throw new IllegalArgumentException("minStd must be > 0");
    }
    if (statistic == null) {
      throw new IllegalArgumentException("statistic must be one of PER_METRIC, RISEN_SHARE, DRIFTED_SHARE, MEAN_LOG_PSI");
    }
    if (raiseAfter < 1 || clearAfter < 1) {
      throw new IllegalArgumentException("raiseAfter and clearAfter must be >= 1");
    }
    if (!(alarmShare > 0 && alarmShare <= 1)) {
      throw new IllegalArgumentException("alarmShare must be in (0, 1]");
    }
    if (alarmTopMetrics < 1) {
      throw new IllegalArgumentException("alarmTopMetrics must be >= 1");
    }
  }

  public static DriftPolicy defaults() {
    return new DriftPolicy(20, 0.2, 0, 0, 0, DriftStatistics.DEFAULT_EPSILON, 500, 0.5, 24, 0.25,
        Statistic.PER_METRIC, 2.0, 2, 3, 1.0, 5);
  }

  /** The CUSUM threshold that gives {@link #expectedRunLength}. */
  public double cusumThreshold() {
    return Cusum.thresholdFor(cusumK, expectedRunLength);
  }

  /** The threshold of each of {@code streams} CUSUMs, so that together they keep ARL0 (union bound). */
  public double cusumThreshold(int streams) {
    return Cusum.thresholdFor(cusumK, expectedRunLength * Math.max(1, streams));
  }

  /** Whether a feature with these distances counts as drifted. */
  public boolean drifted(DriftStatistics.Distances d) {
    return (psiThreshold > 0 && d.psi() > psiThreshold)
        || (jsThreshold > 0 && d.jensenShannon() > jsThreshold)
        || (ksThreshold > 0 && d.ks() > ksThreshold)
        || (wassersteinThreshold > 0 && d.wasserstein() > wassersteinThreshold);
  }

  private static void nonNegative(String key, double v) {
    if (!(v >= 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(key + " must be >= 0: " + v);
    }
  }
}
