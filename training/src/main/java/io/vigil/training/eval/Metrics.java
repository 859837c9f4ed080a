package io.vigil.training.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Detection metrics over a prediction log: one score and one ground-truth label per window, in time
 * order. Higher score = more anomalous; a window is flagged when {@code score >= threshold}.
 *
 * <ul>
 *   <li><b>Point-wise F1</b> ({@link #f1At}): every window counts once; no point adjustment.
 *   <li><b>Best F1</b> ({@link #bestF1}): the largest point-wise F1 over all thresholds (every
 *       distinct score; tied scores are flagged together).
 *   <li><b>Average precision</b> ({@link #averagePrecision}, PR-AUC): {@code sum_k (R_k - R_k-1)
 *       P_k} over the distinct thresholds from high to low (scikit-learn's definition).
 *   <li><b>Point-adjusted best F1</b> ({@link #pointAdjustedBestF1}): as best F1, but when any
 *       window of a true event is flagged, every window of that event counts as detected. Flatters
 *       everything; report it only beside the same figure for a random score.
 *   <li><b>Event-wise F1</b> ({@link #eventF1}): a true event is a maximal run of consecutive
 *       anomalous windows; a predicted event is a maximal run of consecutive flagged windows. Event
 *       recall = share of true events with at least one flagged window; event precision = share of
 *       predicted events that overlap at least one anomalous window; F1 = their harmonic mean (0 when
 *       nothing is flagged or there is no event).
 *   <li><b>HitRate@P%</b> ({@link #hitRate}): for each window with a root-cause set G, the share of
 *       G among the top {@code floor(P * |G|)} ranked metrics; averaged over those windows.
 * </ul>
 */
public final class Metrics {

  private Metrics() {}

  /** An F1 with its precision, recall and the threshold it was reached at. */
  public record F1(double f1, double precision, double recall, double threshold) {}

  /** Point-wise F1 at {@code threshold}. */
  public static F1 f1At(double[] scores, boolean[] labels, double threshold) {
    check(scores, labels);
    long tp = 0;
    long fp = 0;
    long positives = 0;
    for (int i = 0; i < scores.length; i++) {
      boolean flagged = scores[i] >= threshold;
      positives += labels[i] ? 1 : 0;
      if (flagged && labels[i]) {
        tp++;
      } else if (flagged) {
        fp++;
      }
    }
    return f1(tp, fp, positives, threshold);
  }

  /** Best point-wise F1 over every threshold. */
  public static F1 bestF1(double[] scores, boolean[] labels) {
    check(scores, labels);
    Integer[] order = descending(scores);
    long positives = count(labels);
    F1 best = new F1(0, 0, 0, Double.POSITIVE_INFINITY);
    long tp = 0;
    long fp = 0;
    int i = 0;
    while (i < order.length) {
      double t = scores[order[i]];
      while (i < order.length && scores[order[i]] == t) {
        if (labels[order[i]]) {
          tp++;
        } else {
          fp++;
        }
        i++;
      }
      F1 f = f1(tp, fp, positives, t);
      if (f.f1() > best.f1()) {
        best = f;
      }
    }
    return best;
  }

  /** Average precision (area under the precision-recall curve, step-wise). */
  public static double averagePrecision(double[] scores, boolean[] labels) {
    check(scores, labels);
    long positives = count(labels);
    if (positives == 0) {
      return 0;
    }
    Integer[] order = descending(scores);
    double ap = 0;
    double prevRecall = 0;
    long tp = 0;
    long fp = 0;
    int i = 0;
    while (i < order.length) {
      double t = scores[order[i]];
      while (i < order.length && scores[order[i]] == t) {
        if (labels[order[i]]) {
          tp++;
        } else {
          fp++;
        }
        i++;
      }
      double recall = (double) tp / positives;
      double precision = (double) tp / (tp + fp);
      ap += (recall - prevRecall) * precision;
      prevRecall = recall;
    }
    return ap;
  }

  /** Best F1 after point adjustment: every window of a true event takes the event's highest score. */
  public static F1 pointAdjustedBestF1(double[] scores, boolean[] labels) {
    check(scores, labels);
    double[] adjusted = scores.clone();
    for (int[] e : events(labels)) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = e[0]; i < e[1]; i++) {
        max = Math.max(max, scores[i]);
      }
      for (int i = e[0]; i < e[1]; i++) {
        adjusted[i] = max;
      }
    }
    return bestF1(adjusted, labels);
  }

  /** Event-wise F1 at {@code threshold} (definition in the class comment). */
  public static F1 eventF1(double[] scores, boolean[] labels, double threshold) {
    check(scores, labels);
    List<int[]> truth = events(labels);
    boolean[] flagged = new boolean[scores.length];
    for (int i = 0; i < scores.length; i++) {
      flagged[i] = scores[i] >= threshold;
    }
    List<int[]> predicted = events(flagged);
    if (truth.isEmpty() || predicted.isEmpty()) {
      return new F1(0, 0, 0, threshold);
    }
    int detected = 0;
    for (int[] e : truth) {
      if (any(flagged, e)) {
        detected++;
      }
    }
    int correct = 0;
    for (int[] p : predicted) {
      if (any(labels, p)) {
        correct++;
      }
    }
    double precision = (double) correct / predicted.size();
    double recall = (double) detected / truth.size();
    double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    return new F1(f1, precision, recall, threshold);
  }

  /** Maximal runs of true values as {@code [start, end)} pairs. */
  public static List<int[]> events(boolean[] flags) {
    List<int[]> out = new ArrayList<>();
    int i = 0;
    while (i < flags.length) {
      if (flags[i]) {
        int s = i;
        while (i < flags.length && flags[i]) {
          i++;
        }
        out.add(new int[] {s, i});
      } else {
        i++;
      }
    }
    return out;
  }

  /**
   * HitRate@{@code percent}: mean over the windows of {@code rankings} (metrics ordered by
   * attribution, largest first) and their root-cause sets {@code truths} (same index); NaN when
   * there are none.
   */
  public static double hitRate(List<List<String>> rankings, List<? extends Collection<String>> truths,
      double percent) {
    if (rankings.size() != truths.size()) {
      throw new IllegalArgumentException("rankings and root causes differ in length");
    }
    double sum = 0;
    int n = 0;
    for (int i = 0; i < rankings.size(); i++) {
      Set<String> truth = new HashSet<>(truths.get(i));
      if (truth.isEmpty()) {
        continue;
      }
      int k = (int) Math.floor(percent * truth.size() + 1e-9);
      List<String> ranking = rankings.get(i);
      Set<String> top = new HashSet<>(ranking.subList(0, Math.min(k, ranking.size())));
      top.retainAll(truth);
      sum += (double) top.size() / truth.size();
      n++;
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  private static boolean any(boolean[] flags, int[] range) {
    for (int i = range[0]; i < range[1]; i++) {
      if (flags[i]) {
        return true;
      }
    }
    return false;
  }

  private static F1 f1(long tp, long fp, long positives, double threshold) {
    double precision = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
    double recall = positives == 0 ? 0 : (double) tp / positives;
    double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    return new F1(f1, precision, recall, threshold);
  }

  private static long count(boolean[] labels) {
    long n = 0;
    for (boolean b : labels) {
      n += b ? 1 : 0;
    }
    return n;
  }

  private static Integer[] descending(double[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
    return order;
  }

  private static void check(double[] scores, boolean[] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(scores.length + " scores but " + labels.length + " labels");
    }
    for (double s : scores) {
      if (Double.isNaN(s)) {
        throw new IllegalArgumentException("a score is NaN");
      }
    }
  }
}
