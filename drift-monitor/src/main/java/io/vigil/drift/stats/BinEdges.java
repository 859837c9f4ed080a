package io.vigil.drift.stats;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Fixed, increasing bin edges of one reference histogram. A value {@code v} falls in cell 0
 * (underflow) when {@code v < edges[0]}, in cell {@code B + 1} (overflow) when {@code v >
 * edges[B]}, otherwise in cell {@code i + 1} where {@code edges[i] <= v < edges[i + 1]} (the last
 * bin includes its upper edge), as the training side's {@code ReferenceProfile} bins them. So a
 * histogram over these edges has {@code B + 2} cells.
 */
public final class BinEdges implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double[] edges;
  /**
   * {@code bins / (edges[B] - edges[0])} when the edges are equally spaced (as training makes them),
   * else 0: a value's bin is then computed and only checked against its edges.
   */
  private final transient double perUnit;

  public BinEdges(double[] edges) {
    if (edges.length < 2) {
      throw new IllegalArgumentException("a histogram needs at least 2 edges, got " + edges.length);
    }
    for (int i = 0; i < edges.length; i++) {
      if (!Double.isFinite(edges[i]) || (i > 0 && !(edges[i] > edges[i - 1]))) {
        throw new IllegalArgumentException("bin edges must be finite and strictly increasing: "
            + Arrays.toString(edges));
      }
    }
    this.edges = edges.clone();
    this.perUnit = equallySpaced(this.edges) ? (edges.length - 1) / (edges[edges.length - 1] - edges[0]) : 0;
  }

  /** Whether every bin is within 0.1% of the mean width (rounding in the edges is fine). */
  private static boolean equallySpaced(double[] e) {
    double width = (e[e.length - 1] - e[0]) / (e.length - 1);
    if (!(width > 0) || !Double.isFinite(width)) {
      return false;
    }
    for (int i = 1; i < e.length; i++) {
      if (Math.abs((e[i] - e[i - 1]) - width) > 1e-3 * width) {
        return false;
      }
    }
    return true;
  }

  /** Java serialisation restores the edges only: the derived {@link #perUnit} is computed again. */
  private Object readResolve() {
    return new BinEdges(edges);
  }

  /** Number of bins between the edges (cells = bins + 2). */
  public int bins() {
    return edges.length - 1;
  }

  /** Number of cells: underflow, the bins, overflow. */
  public int cells() {
    return edges.length + 1;
  }

  public double edge(int i) {
    return edges[i];
  }

  public double low() {
    return edges[0];
  }

  public double high() {
    return edges[edges.length - 1];
  }

  /** Up to this many edges a cell is found by counting, above it by bisection. */
  static final int COUNTING_EDGES = 48;

  /** The cell of {@code v}; NaN is refused. */
  public int cellOf(double v) {
    if (Double.isNaN(v)) {
      throw new IllegalArgumentException("NaN has no bin");
    }
    double[] e = edges;
    int b = e.length - 1;
    if (perUnit > 0) {
      // equally spaced: the bin by arithmetic, then moved by its edges where rounding put it off by one
      if (v < e[0]) {
        return 0;
      }
      if (v >= e[b]) {
        return v == e[b] ? b : b + 1;
      }
      int k = Math.min(b - 1, (int) ((v - e[0]) * perUnit)); // e[0] <= v < e[b]: 0 <= k < b
      while (v < e[k]) {
        k--;
      }
      while (v >= e[k + 1]) {
        k++;
      }
      return k + 1;
    }
    if (e.length <= COUNTING_EDGES) {
      // the edges at or below v, counted without a branch per edge: a bisection's branches are
      // unpredictable (the values are spread over the bins by design), a count of ~20 is not
      int c = 0;
      for (double edge : e) {
        c += edge <= v ? 1 : 0;
      }
      return c - (v == e[b] ? 1 : 0); // the last bin includes its upper edge
    }
    return bisect(v);
  }

  /** {@link #cellOf} by bisection. */
  int bisect(double v) {
    int b = edges.length - 1;
    if (v < edges[0]) {
      return 0;
    }
    if (v > edges[b]) {
      return b + 1;
    }
    if (v == edges[b]) {
      return b;
    }
    int lo = 0;
    int hi = b; // invariant: edges[lo] <= v < edges[hi]
    while (hi - lo > 1) {
      int mid = (lo + hi) >>> 1;
      if (v < edges[mid]) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return lo + 1;
  }

  /** Centre of bin cell {@code c} (1..bins); for the outer cells, the nearest edge. */
  public double centre(int cell) {
    if (cell <= 0) {
      return edges[0];
    }
    if (cell > bins()) {
      return edges[edges.length - 1];
    }
    return (edges[cell - 1] + edges[cell]) / 2;
  }
}
