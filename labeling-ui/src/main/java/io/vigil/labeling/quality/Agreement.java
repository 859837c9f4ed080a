package io.vigil.labeling.quality;

import java.util.List;

/** Inter-annotator agreement statistics. Pure functions over counts. */
public final class Agreement {

  private Agreement() {}

  /**
   * Cohen's kappa of two raters over the same items: {@code confusion[i][j]} counts items rater A
   * put in category i and rater B in category j. NaN when there are no items; 1 when both raters
   * always agree on a single category (no chance-agreement to correct).
   */
  public static double cohen(long[][] confusion) {
    int k = confusion.length;
    long n = 0;
    long agree = 0;
    long[] rowSum = new long[k];
    long[] colSum = new long[k];
    for (int i = 0; i < k; i++) {
      if (confusion[i].length != k) {
        throw new IllegalArgumentException("the confusion matrix must be square");
      }
      for (int j = 0; j < k; j++) {
        n += confusion[i][j];
        rowSum[i] += confusion[i][j];
        colSum[j] += confusion[i][j];
      }
      agree += confusion[i][i];
    }
    if (n == 0) {
      return Double.NaN;
    }
    double po = (double) agree / n;
    double pe = 0;
    for (int i = 0; i < k; i++) {
      pe += ((double) rowSum[i] / n) * ((double) colSum[i] / n);
    }
    return pe == 1.0 ? 1.0 : (po - pe) / (1 - pe);
  }

  /**
   * Fleiss' kappa: {@code counts[i][j]} raters put item i in category j. Items may have different
   * numbers of raters (at least 2 each; others are ignored); with a constant number this is exactly
   * Fleiss (1971). NaN when no item has two raters.
   */
  public static double fleiss(List<long[]> counts) {
    if (counts.isEmpty()) {
      return Double.NaN;
    }
    int k = counts.get(0).length;
    double[] categoryTotals = new double[k];
    double sumP = 0;
    double totalRatings = 0;
    int items = 0;
    for (long[] row : counts) {
      long n = 0;
      for (long v : row) {
        n += v;
      }
      if (n < 2) {
        continue;
      }
      double agreeing = 0;
      for (int j = 0; j < k; j++) {
        agreeing += (double) row[j] * (row[j] - 1);
        categoryTotals[j] += row[j];
      }
      sumP += agreeing / ((double) n * (n - 1));
      totalRatings += n;
      items++;
    }
    if (items == 0) {
      return Double.NaN;
    }
    double pBar = sumP / items;
    double pe = 0;
    for (int j = 0; j < k; j++) {
      double p = categoryTotals[j] / totalRatings;
      pe += p * p;
    }
    return pe == 1.0 ? 1.0 : (pBar - pe) / (1 - pe);
  }
}
