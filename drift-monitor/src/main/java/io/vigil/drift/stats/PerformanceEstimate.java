package io.vigil.drift.stats;

/**
 * Precision, recall and F1 — expected from calibrated probabilities (confidence-based performance
 * estimation, CBPE) or realised from labels. Each is null when it is undefined (no data, or a zero
 * denominator).
 *
 * <p>CBPE: if the model's probability {@code p} of "anomaly" is calibrated, a sample it flags is a
 * true positive with probability {@code p} and a false positive with {@code 1 - p}; a sample it
 * does not flag is a false negative with probability {@code p}. Summing gives the expected
 * confusion counts of a window without a single label: {@code E[TP] = sum p} over flagged samples,
 * {@code E[FP] = sum (1 - p)} over flagged, {@code E[FN] = sum p} over unflagged; then {@code
 * precision = E[TP] / (E[TP] + E[FP])}, {@code recall = E[TP] / (E[TP] + E[FN])}, {@code F1 = 2
 * E[TP] / (2 E[TP] + E[FP] + E[FN])} (ratios of expectations, the usual CBPE plug-in).
 */
public record PerformanceEstimate(Double precision, Double recall, Double f1) {

  public static final PerformanceEstimate NONE = new PerformanceEstimate(null, null, null);

  /** From expected (or realised) confusion counts; {@code samples == 0} gives {@link #NONE}. */
  public static PerformanceEstimate of(double tp, double fp, double fn, long samples) {
    if (samples <= 0) {
      return NONE;
    }
    Double precision = tp + fp > 0 ? tp / (tp + fp) : null;
    Double recall = tp + fn > 0 ? tp / (tp + fn) : null;
    Double f1 = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : null;
    return new PerformanceEstimate(precision, recall, f1);
  }

  /** Expected confusion counts, accumulated per sample. A Flink POJO; mergeable. */
  public static final class Expected {
    public double tp;
    public double fp;
    public double fn;
    public long samples;

    public Expected() {}

    /** One prediction: its calibrated probability (NaN = none: the sample is not counted) and flag. */
    public void add(double probability, boolean flagged) {
      if (Double.isNaN(probability)) {
        return;
      }
      double p = Math.max(0, Math.min(1, probability));
      if (flagged) {
        tp += p;
        fp += 1 - p;
      } else {
        fn += p;
      }
      samples++;
    }

    public void merge(Expected o) {
      tp += o.tp;
      fp += o.fp;
      fn += o.fn;
      samples += o.samples;
    }

    public PerformanceEstimate estimate() {
      return PerformanceEstimate.of(tp, fp, fn, samples);
    }
  }
}
