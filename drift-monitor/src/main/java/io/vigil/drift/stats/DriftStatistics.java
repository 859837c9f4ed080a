package io.vigil.drift.stats;

/**
 * Distances between a live and a reference distribution given as binned histograms over the same
 * cells (underflow, bins, overflow). All four work from the cell shares alone, so a window costs
 * O(cells) per feature and the reference is never re-scanned.
 *
 * <ul>
 *   <li>PSI (population stability index) {@code sum (p - q) ln(p / q)}, with every share floored at
 *       {@code epsilon} so an empty cell does not make it infinite. 0 = identical; the usual rule of
 *       thumb reads &gt; 0.1 as a moderate and &gt; 0.2 as a significant shift.
 *   <li>Jensen–Shannon divergence in bits ({@code log2}), in [0, 1]: {@code (KL(p||m) + KL(q||m)) /
 *       2}, {@code m = (p + q) / 2}, with {@code 0 log 0 = 0}.
 *   <li>Kolmogorov–Smirnov: the largest gap between the two cumulative shares at a cell boundary
 *       (the binned CDFs), in [0, 1].
 *   <li>1-D Wasserstein (earth mover's) distance {@code integral |F(x) - G(x)| dx} between the two
 *       binned distributions with each bin's mass at its centre and out-of-range mass at its mean
 *       (see {@link Histogram}), divided by {@code scale} (the reference's standard deviation), so
 *       it reads as "how many reference standard deviations the mass moved".
 * </ul>
 */
public final class DriftStatistics {

  /** Default floor for empty cells in PSI. */
  public static final double DEFAULT_EPSILON = 1e-4;

  private static final double LN2 = Math.log(2);

  private DriftStatistics() {}

  /** The four distances of one feature. */
  public record Distances(double psi, double jensenShannon, double ks, double wasserstein) {}

  /** Cell shares of {@code counts} (all zero when the total is 0). */
  public static double[] shares(long[] counts) {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    double[] p = new double[counts.length];
    if (n > 0) {
      for (int i = 0; i < counts.length; i++) {
        p[i] = (double) counts[i] / n;
      }
    }
    return p;
  }

  public static double psi(double[] p, double[] q, double epsilon) {
    check(p, q);
    double s = 0;
    for (int i = 0; i < p.length; i++) {
      double a = Math.max(p[i], epsilon);
      double b = Math.max(q[i], epsilon);
      s += (a - b) * Math.log(a / b);
    }
    return s;
  }

  public static double jensenShannon(double[] p, double[] q) {
    check(p, q);
    double s = 0;
    for (int i = 0; i < p.length; i++) {
      double m = (p[i] + q[i]) / 2;
      if (p[i] > 0) {
        s += p[i] * Math.log(p[i] / m);
      }
      if (q[i] > 0) {
        s += q[i] * Math.log(q[i] / m);
      }
    }
    return Math.max(0, Math.min(1, s / 2 / LN2));
  }

  public static double ks(double[] p, double[] q) {
    check(p, q);
    double fp = 0;
    double fq = 0;
    double max = 0;
    for (int i = 0; i < p.length; i++) {
      fp += p[i];
      fq += q[i];
      max = Math.max(max, Math.abs(fp - fq));
    }
    return Math.min(1, max);
  }

  /**
   * Wasserstein-1 between two discrete distributions: masses {@code p} at increasing positions
   * {@code xp}, masses {@code q} at increasing positions {@code xq}. Masses should each sum to 1.
   */
  public static double wasserstein(double[] p, double[] xp, double[] q, double[] xq) {
    if (p.length != xp.length || q.length != xq.length) {
      throw new IllegalArgumentException("masses and positions differ in length");
    }
    return wasserstein(p, xp, p.length, q, xq, q.length);
  }


  /** All four distances of {@code live} against {@code reference} (same edges). */
  public static Distances compare(Histogram live, Histogram reference, double epsilon, double scale) {
    if (live.edges().cells() != reference.edges().cells()) {
      throw new IllegalArgumentException("histograms over different edges");
    }
    double[] p = shares(live.counts());
    double[] q = shares(reference.counts());
    return new Distances(psi(p, q, epsilon), jensenShannon(p, q), ks(p, q),
        wasserstein(p, positions(live), q, positions(reference)) / (scale > 0 ? scale : 1));
  }

  /**
   * A reference histogram prepared once for many windows, so that a window costs one pass over its
   * cells and one logarithm per non-empty live cell. Prepared once: the reference's shares, their
   * logarithms (floored at {@code epsilon} for PSI), the bin centres, and the PSI and Jensen–Shannon
   * terms of the cells where the live window is empty (most cells of a window of a few dozen
   * samples). Per window: a live share's logarithm is {@code ln count − ln n} (small counts from a
   * table), so only the mixture's {@code ln m} of Jensen–Shannon is computed per cell; KS and the
   * Wasserstein distance come from the same running sums, since live and reference share their
   * interior positions (the bin centres) and differ only at the two out-of-range cells. Agrees with
   * {@link DriftStatistics#compare(Histogram, Histogram, double, double)} to rounding (the same
   * quantities, summed in a different order). Immutable.
   */
  public static final class Prepared {
    private final BinEdges edges;
    private final double epsilon;
    private final double lnEpsilon;
    private final double[] q;
    private final double[] centres;
    /** {@code ln max(q, epsilon)}: the reference side of PSI. */
    private final double[] lnFlooredQ;
    /** {@code ln q} (0 where q is 0): the reference side of Jensen–Shannon. */
    private final double[] lnQ;
    /** {@code (a - b) ln(a / b)} of cell i with an empty live cell ({@code a = max(0, epsilon)}). */
    private final double[] psiEmpty;
    /** {@code q ln(q / m)} of cell i with an empty live cell ({@code m = q / 2}), 0 when q is 0. */
    private final double[] jsEmpty;
    /** Positions of the reference's out-of-range masses (the means of their values). */
    private final double refLow;
    private final double refHigh;

    public Prepared(Histogram reference, double epsilon) {
      this.edges = reference.edges();
      this.epsilon = epsilon;
      this.lnEpsilon = Math.log(epsilon);
      this.q = shares(reference.counts());
      this.refLow = Math.min(reference.belowMean(), edges.low()); // as positions() places them
      this.refHigh = Math.max(reference.aboveMean(), edges.high());
      int k = edges.cells();
      this.centres = new double[k];
      this.lnFlooredQ = new double[k];
      this.lnQ = new double[k];
      this.psiEmpty = new double[k];
      this.jsEmpty = new double[k];
      for (int i = 0; i < k; i++) {
        centres[i] = edges.centre(i);
        double a = Math.max(0.0, epsilon);
        double b = Math.max(q[i], epsilon);
        lnFlooredQ[i] = Math.log(b);
        lnQ[i] = q[i] > 0 ? Math.log(q[i]) : 0;
        psiEmpty[i] = (a - b) * Math.log(a / b);
        double m = (0.0 + q[i]) / 2;
        jsEmpty[i] = q[i] > 0 ? q[i] * Math.log(q[i] / m) : 0;
      }
    }

    /** Number of cells. */
    public int cells() {
      return q.length;
    }

    /**
     * The four distances of the live histogram whose cell counts are {@code counts[from ..
     * from + cells())} and whose out-of-range values sum to {@code belowSum} / {@code aboveSum}.
     */
    public Distances compare(long[] counts, int from, double belowSum, double aboveSum, double scale) {
      int k = q.length;
      long n = 0;
      for (int i = 0; i < k; i++) {
        n += counts[from + i];
      }
      double lnN = n > 0 ? Math.log(n) : 0;
      long below = counts[from];
      long above = counts[from + k - 1];
      double liveLow = Math.min(below == 0 ? edges.low() : belowSum / below, edges.low());
      double liveHigh = Math.max(above == 0 ? edges.high() : aboveSum / above, edges.high());
      double psi = 0;
      double js = 0;
      double ks = 0;
      double w = 0;
      double fp = 0;
      double fq = 0;
      double last = 0;
      for (int i = 0; i < k; i++) {
        long c = counts[from + i];
        double pi = 0;
        double qi = q[i];
        if (c > 0) {
          pi = (double) c / n;
          double lnP = lnCount(c) - lnN;
          double a = Math.max(pi, epsilon);
          psi += (a - Math.max(qi, epsilon)) * ((pi >= epsilon ? lnP : lnEpsilon) - lnFlooredQ[i]);
          double lnM = Math.log((pi + qi) / 2);
          js += pi * (lnP - lnM);
          if (qi > 0) {
            js += qi * (lnQ[i] - lnM);
          }
        } else {
          psi += psiEmpty[i]; // jsEmpty is 0 where q is 0
          js += jsEmpty[i];
        }
        // Wasserstein: |F - G| integrated over the merged positions, the cumulative shares before
        // this cell's masses are added
        if (i == 0) {
          // the two underflow masses, at their own positions (both at or below the lowest edge)
          w += (liveLow < refLow ? pi : qi) * Math.abs(refLow - liveLow);
          last = Math.max(liveLow, refLow);
        } else if (i < k - 1) {
          w += Math.abs(fp - fq) * (centres[i] - last);
          last = centres[i];
        } else {
          double lo = Math.min(liveHigh, refHigh);
          w += Math.abs(fp - fq) * (lo - last);
          double f = liveHigh < refHigh ? fp + pi : fp;
          double g = refHigh < liveHigh ? fq + qi : fq;
          w += Math.abs(f - g) * Math.abs(refHigh - liveHigh);
        }
        fp += pi;
        fq += qi;
        ks = Math.max(ks, Math.abs(fp - fq));
      }
      return new Distances(psi, Math.max(0, Math.min(1, js / 2 / LN2)), Math.min(1, ks),
          w / (scale > 0 ? scale : 1));
    }
  }

  /** {@code ln c} of the counts most cells hold, from a table. */
  private static final double[] LN_SMALL = new double[1024];

  static {
    for (int c = 1; c < LN_SMALL.length; c++) {
      LN_SMALL[c] = Math.log(c);
    }
  }

  private static double lnCount(long c) {
    return c < LN_SMALL.length ? LN_SMALL[(int) c] : Math.log(c);
  }

  /** {@link #wasserstein} over the first {@code np} masses of {@code p} and {@code nq} of {@code q}. */
  private static double wasserstein(double[] p, double[] xp, int np, double[] q, double[] xq, int nq) {
    int i = 0;
    int j = 0;
    double fp = 0;
    double fq = 0;
    double last = Double.NaN;
    double w = 0;
    while (i < np || j < nq) {
      double x = j >= nq || (i < np && xp[i] <= xq[j]) ? xp[i] : xq[j];
      if (!Double.isNaN(last)) {
        w += Math.abs(fp - fq) * (x - last);
      }
      while (i < np && xp[i] == x) {
        fp += p[i++];
      }
      while (j < nq && xq[j] == x) {
        fq += q[j++];
      }
      last = x;
    }
    return w;
  }


  /** Bin centres, with the out-of-range cells at the mean of their values. */
  static double[] positions(Histogram h) {
    BinEdges e = h.edges();
    double[] x = new double[e.cells()];
    for (int c = 0; c < x.length; c++) {
      x[c] = e.centre(c);
    }
    x[0] = Math.min(h.belowMean(), e.low());
    x[x.length - 1] = Math.max(h.aboveMean(), e.high());
    return x;
  }

  private static void check(double[] p, double[] q) {
    if (p.length != q.length) {
      throw new IllegalArgumentException("distributions over different cells: " + p.length + " vs " + q.length);
    }
  }
}
