package io.vigil.training;

import static java.util.Objects.requireNonNull;

import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import io.vigil.training.eval.Metrics;
import io.vigil.training.head.HeadConfig;
import io.vigil.training.head.SupervisedHeadTrainer;
import io.vigil.training.watch.WatchConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * The steps of one retraining, as pure functions over rows in time order, shared by the watcher's
 * rules ({@code vigil train --watch}, ADR 0005) and the prequential evaluation ({@code vigil eval},
 * ADR 0006), so that what eval measures is what the watcher does:
 *
 * <ol>
 *   <li>{@link #due}: which trigger fires now, with the hysteresis (no run within {@code
 *       minGapSeconds} of the previous start; a trigger that fires meanwhile stays pending);
 *   <li>{@link #split}: the latest {@code holdoutShare} of the labelled rows is the holdout; the
 *       autoencoder learns from the rows before the holdout that are not labelled anomalous (all
 *       non-holdout, non-anomalous rows when too few); the head from the labelled rows before it;
 *   <li>{@link #train}: the cold-start autoencoder on those rows (its own common scale), then the
 *       supervised head and the threshold from the labels ({@link SupervisedHeadTrainer});
 *   <li>{@link #evaluate} and {@link #better}: candidate against the current model on the holdout,
 *       F1 at each model's own threshold, PR-AUC when the F1s tie within the margin; a holdout
 *       without an anomaly decides nothing.
 * </ol>
 */
public final class Retraining {

  private Retraining() {}

  /**
   * The trigger that starts a run now, or null (none fired, or the hysteresis holds it pending).
   * Order: manual, labels, drift, schedule.
   *
   * @param lastRunStart when the previous run started, null when none did
   */
  public static String due(WatchConfig.Triggers t, long newLabels, boolean driftPending, boolean manualPending,
      Instant lastRunStart, Instant now) {
    String trigger = null;
    if (manualPending) {
      trigger = "manual";
    } else if (newLabels >= t.minNewLabels()) {
      trigger = "labels";
    } else if (driftPending && t.onDriftAlarm()) {
      trigger = "drift";
    } else if (t.scheduleMinutes() > 0 && (lastRunStart == null
        || Duration.between(lastRunStart, now).toMinutes() >= t.scheduleMinutes())) {
      trigger = "schedule";
    }
    if (trigger == null) {
      return null;
    }
    if (lastRunStart != null && Duration.between(lastRunStart, now).getSeconds() < t.minGapSeconds()) {
      return null; // hysteresis: stays pending until the gap has passed
    }
    return trigger;
  }

  /** Holdout size for {@code labelled} usable labels: {@code max(1, ceil(labelled * share))}. */
  public static int holdoutSize(int labelled, double holdoutShare) {
    return Math.max(1, (int) Math.ceil(labelled * holdoutShare));
  }

  /**
   * Which rows a run learns and is judged on.
   *
   * @param learn labelled rows before the holdout (head and threshold), time order
   * @param holdout the latest labelled rows (never trained on), time order
   * @param unsupervised autoencoder rows, time order
   * @param skipped why the run cannot happen (too few labels or rows), null when it can
   */
  public record Split(int[] learn, int[] holdout, int[] unsupervised, String skipped) {}

  /**
   * @param times each row's window end, non-decreasing (rows in time order)
   * @param labels each row's usable label (true = anomaly), null = unlabelled
   */
  public static Split split(long[] times, Boolean[] labels, WatchConfig.Data data) {
    requireNonNull(times, "times");
    if (times.length != labels.length) {
      throw new IllegalArgumentException(times.length + " times for " + labels.length + " labels");
    }
    int n = times.length;
    int[] labelled = new int[n];
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (labels[i] != null) {
        labelled[count++] = i;
      }
    }
    if (count < data.minLabels()) {
      return new Split(new int[0], new int[0], new int[0], count + " usable labels, " + data.minLabels()
          + " needed");
    }
    int h = holdoutSize(count, data.holdoutShare());
    int[] learn = Arrays.copyOfRange(labelled, 0, count - h);
    int[] holdout = Arrays.copyOfRange(labelled, count - h, count);
    boolean[] inHoldout = new boolean[n];
    for (int i : holdout) {
      inHoldout[i] = true;
    }
    long holdoutStart = times[holdout[0]];
    int[] unsup = new int[n];
    int u = 0;
    for (int i = 0; i < n; i++) {
      if (!inHoldout[i] && times[i] < holdoutStart && !Boolean.TRUE.equals(labels[i])) {
        unsup[u++] = i;
      }
    }
    if (u < data.minTrainRows()) {
      u = 0;
      for (int i = 0; i < n; i++) {
        if (!inHoldout[i] && !Boolean.TRUE.equals(labels[i])) {
          unsup[u++] = i;
        }
      }
    }
    if (u < data.minTrainRows()) {
      return new Split(learn, holdout, Arrays.copyOf(unsup, u), u + " feature rows to train on, "
          + data.minTrainRows() + " needed");
    }
    return new Split(learn, holdout, Arrays.copyOf(unsup, u), null);
  }

  /**
   * A trained candidate: the autoencoder (owns the network: close it) and the spec with the head and
   * threshold from the labels.
   */
  public record Candidate(TrainedModel trained, ModelArtifact artifact, SupervisedHeadTrainer.Result head)
      implements AutoCloseable {
    @Override
    public void close() {
      trained.close();
    }
  }

  /**
   * The autoencoder on {@code unsupervised} (time order; its last {@code validationShare} sets the
   * common scale), then head and threshold on {@code learn} with {@code learnLabels}.
   *
   * @param learn labelled rows before the holdout, null or empty when there are none
   */
  public static Candidate train(ColdStartConfig model, HeadConfig head, FeatureMatrix unsupervised,
      FeatureMatrix learn, boolean[] learnLabels, String featureSetId, String featureSetVersion,
      EpochListener listener) {
    TrainedModel trained = new ColdStartTrainer(model).train(unsupervised, featureSetId, featureSetVersion,
        listener);
    try {
      ModelSpec spec = trained.artifact().spec();
      SupervisedHeadTrainer.Result result;
      if (learn != null && learn.rows() > 0) {
        ScoreBatch scored;
        try (Scorer s = new Scorer(trained.artifact())) {
          scored = s.scoreAll(learn);
        }
        result = new SupervisedHeadTrainer(head).fit(spec, scored, learnLabels);
        spec = result.spec();
      } else {
        result = new SupervisedHeadTrainer.Result(spec, false, false, 0, 0, "no labels before the holdout");
      }
      return new Candidate(trained, new ModelArtifact(spec, trained.artifact().model()), result);
    } catch (RuntimeException e) {
      trained.close();
      throw e;
    }
  }

  /**
   * A model on the holdout.
   *
   * @param f1 point-wise F1 at the model's own threshold ({@code score >= threshold})
   * @param prAuc average precision of its ranking output (probability with a head, else score); NaN
   *     when the holdout holds no anomaly
   * @param anomalies how many holdout rows are labelled anomalous
   */
  public record HoldoutMetrics(double f1, double prAuc, int anomalies) {}

  public static HoldoutMetrics evaluate(ModelArtifact m, FeatureMatrix rows, boolean[] labels) {
    ScoreBatch s;
    try (Scorer scorer = new Scorer(m)) {
      s = scorer.scoreAll(rows);
    }
    double[] score = new double[s.rows()];
    double[] rank = new double[s.rows()];
    for (int i = 0; i < score.length; i++) {
      score[i] = s.scores()[i];
      rank[i] = s.probability() != null ? s.probability()[i] : s.scores()[i];
    }
    int anomalies = 0;
    for (boolean l : labels) {
      anomalies += l ? 1 : 0;
    }
    return new HoldoutMetrics(Metrics.f1At(score, labels, m.spec().scale().threshold()).f1(),
        anomalies > 0 ? Metrics.averagePrecision(rank, labels) : Double.NaN, anomalies);
  }

  /**
   * The promotion rule: with no comparable current model (none, or one of another feature set or
   * inputs, which cannot score what the candidate scores) the candidate is better whatever its holdout.
   * Otherwise a holdout without an anomaly is inconclusive (not better); else better when its holdout
   * F1 is at least the current model's + {@code margin}, or, when the two F1s are within the margin of
   * each other, when its PR-AUC is at least the current one's + margin (both finite).
   *
   * @param current null when there is no comparable current model
   */
  public static boolean better(HoldoutMetrics candidate, HoldoutMetrics current, double margin) {
    if (current == null) {
      return true;
    }
    if (candidate.anomalies() == 0) {
      return false;
    }
    boolean tie = Math.abs(candidate.f1() - current.f1()) < margin;
    return candidate.f1() >= current.f1() + margin
        || (tie && Double.isFinite(candidate.prAuc()) && Double.isFinite(current.prAuc())
            && candidate.prAuc() >= current.prAuc() + margin);
  }

  /** The rows {@code idx} of {@code m}, in that order. */
  public static FeatureMatrix rows(FeatureMatrix m, int[] idx) {
    int cols = m.cols();
    float[] v = new float[idx.length * cols];
    long[] seq = new long[idx.length];
    for (int k = 0; k < idx.length; k++) {
      System.arraycopy(m.values(), idx[k] * cols, v, k * cols, cols);
      seq[k] = m.sequences()[idx[k]];
    }
    return new FeatureMatrix(v, idx.length, cols, seq, m.featureNames());
  }
}
