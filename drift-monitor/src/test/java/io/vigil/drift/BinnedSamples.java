package io.vigil.drift;

/**
 * An accumulator filled cell by cell, for tests: the flat cells of one sample, and the values of the
 * features that fell under ({@code side < 0}) or over ({@code side > 0}) their edges — the sums that
 * {@link ReferenceModel#addTo} keeps, written out by hand.
 */
final class BinnedSamples {
  private BinnedSamples() {}

  static void add(WindowAccumulator w, int[] cells, byte[] side, double[] values, int totalCells,
      double probability, boolean anomaly) {
    w.ensure(totalCells, cells.length);
    w.samples++;
    w.flagged += anomaly ? 1 : 0;
    for (int i = 0; i < cells.length; i++) {
      w.counts[cells[i]]++;
      if (side[i] < 0) {
        w.below[i] += values[i];
      } else if (side[i] > 0) {
        w.above[i] += values[i];
      }
    }
    w.expected.add(probability, anomaly);
  }
}
