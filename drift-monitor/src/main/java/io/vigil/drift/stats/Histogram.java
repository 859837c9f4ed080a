package io.vigil.drift.stats;

import static java.util.Objects.requireNonNull;

/**
 * A mergeable histogram of live values over a reference's {@link BinEdges}: one count per cell
 * (underflow, bins, overflow) and the sums of the values that fell outside the edges, so the
 * Wasserstein distance can place out-of-range mass where it really was. Not thread-safe.
 */
public final class Histogram {

  private final BinEdges edges;
  private final long[] counts;
  private double belowSum;
  private double aboveSum;

  public Histogram(BinEdges edges) {
    this.edges = requireNonNull(edges, "edges");
    this.counts = new long[edges.cells()];
  }

  /** A histogram with the given cell counts (e.g. a reference) and out-of-range sums. */
  public static Histogram of(BinEdges edges, long[] cellCounts, double belowSum, double aboveSum) {
    if (cellCounts.length != edges.cells()) {
      throw new IllegalArgumentException("expected " + edges.cells() + " cell counts, got " + cellCounts.length);
    }
    Histogram h = new Histogram(edges);
    for (int i = 0; i < cellCounts.length; i++) {
      if (cellCounts[i] < 0) {
        throw new IllegalArgumentException("negative count in cell " + i);
      }
      h.counts[i] = cellCounts[i];
    }
    h.belowSum = belowSum;
    h.aboveSum = aboveSum;
    return h;
  }

  public void add(double v) {
    int c = edges.cellOf(v);
    counts[c]++;
    if (c == 0) {
      belowSum += v;
    } else if (c == counts.length - 1) {
      aboveSum += v;
    }
  }

  /** Adds {@code other}'s counts into this one; both must be on the same edges. */
  public void merge(Histogram other) {
    if (other.counts.length != counts.length) {
      throw new IllegalArgumentException("cannot merge histograms over different edges");
    }
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    belowSum += other.belowSum;
    aboveSum += other.aboveSum;
  }

  public BinEdges edges() {
    return edges;
  }

  public long count(int cell) {
    return counts[cell];
  }

  public long[] counts() {
    return counts.clone();
  }

  public long total() {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    return n;
  }

  /** Mean of the values under the first edge, or the first edge when there are none. */
  public double belowMean() {
    return counts[0] == 0 ? edges.low() : belowSum / counts[0];
  }

  /** Mean of the values over the last edge, or the last edge when there are none. */
  public double aboveMean() {
    long n = counts[counts.length - 1];
    return n == 0 ? edges.high() : aboveSum / n;
  }
}
