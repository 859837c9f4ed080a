package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import io.vigil.model.ModelArtifact;
import io.vigil.training.EpochListener;
import io.vigil.training.FeatureMatrix;
import io.vigil.training.Retraining;
import io.vigil.training.Scorer;
import io.vigil.training.TrainedModel;
import io.vigil.training.TrainingConfig;
import io.vigil.training.watch.WatchConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retrains one entity's model during the prequential stream the way {@code vigil train --watch}
 * does, with the same rules ({@link Retraining}) and settings ({@link WatchConfig}): the feature
 * store is every row the stream has seen (the training part, then the test rows scored so far; the
 * latest {@code watch.data.maxStoredFeatures}); the labels are the simulated annotator's answers;
 * after each window the triggers are checked (new labels, with the {@code minGapSeconds} hysteresis
 * measured in the windows' time; no drift or schedule trigger in an evaluation); a run trains a
 * candidate (autoencoder + head + threshold from labels), compares it with the model now scoring on
 * the latest labels it never trained on, and promotes it when better by the margin. A promotion
 * takes effect from the next window (as if a reviewer approved every proposal at once).
 *
 * <p>Owns the models it scores with: close it.
 */
public final class StreamRetrainer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StreamRetrainer.class);

  /** One run's outcome, for the report. */
  public record Run(long atSequence, int labels, boolean promoted, String reason) {}

  private final TrainingConfig config;
  private final FeatureMatrix rows;
  private final long[] timesMillis;
  private final String featureSetId;
  private final String featureSetVersion;
  private final Map<Long, Integer> indexBySequence = new LinkedHashMap<>();
  private final Boolean[] labels;
  private final List<Run> runs = new ArrayList<>();
  private TrainedModel currentModel;
  private ModelArtifact current;
  private Scorer scorer;
  private long newLabels;
  private Instant lastRunStart;
  private final boolean enabled;

  /**
   * @param rows every row of the entity in time order (training part first)
   * @param timesMillis each row's window end
   * @param initial the cold-start model (owned from now on)
   * @param enabled false: never retrains (incidents only)
   */
  public StreamRetrainer(TrainingConfig config, FeatureMatrix rows, long[] timesMillis, String featureSetId,
      String featureSetVersion, TrainedModel initial, boolean enabled) {
    this.config = requireNonNull(config, "config");
    this.rows = requireNonNull(rows, "rows");
    if (timesMillis.length != rows.rows()) {
      throw new IllegalArgumentException(timesMillis.length + " times for " + rows.rows() + " rows");
    }
    this.timesMillis = timesMillis;
    this.featureSetId = requireNonNull(featureSetId, "featureSetId");
    this.featureSetVersion = requireNonNull(featureSetVersion, "featureSetVersion");
    for (int i = 0; i < rows.rows(); i++) {
      indexBySequence.put(rows.sequences()[i], i);
    }
    this.labels = new Boolean[rows.rows()];
    this.currentModel = requireNonNull(initial, "initial");
    this.current = initial.artifact();
    this.scorer = new Scorer(current);
    this.enabled = enabled;
  }

  /** The model scoring now. */
  public ModelArtifact current() {
    return current;
  }

  /** Its scorer (replaced on promotion). */
  public Scorer scorer() {
    return scorer;
  }

  public double threshold() {
    return current.spec().scale().threshold();
  }

  /** An annotator answer about an already-scored window (the latest answer per window wins). */
  public void onAnswer(long sequence, boolean anomaly) {
    Integer i = indexBySequence.get(sequence);
    if (i == null) {
      throw new IllegalArgumentException("no row with sequence " + sequence);
    }
    labels[i] = anomaly;
    newLabels++;
  }

  /**
   * Called after window {@code sequence} was scored and its answers (if any) given: checks the
   * triggers and runs when one is due.
   *
   * @return true when a retrained model was promoted (it scores from the next window on)
   */
  public boolean afterWindow(long sequence) {
    if (!enabled) {
      return false;
    }
    int last = indexBySequence.get(sequence);
    Instant now = Instant.ofEpochMilli(timesMillis[last]);
    String trigger = Retraining.due(config.watch().triggers(), newLabels, false, false, lastRunStart, now);
    if (trigger == null) {
      return false;
    }
    newLabels = 0;
    lastRunStart = now;
    return run(last, sequence);
  }

  private boolean run(int last, long sequence) {
    WatchConfig.Data data = config.watch().data();
    int from = Math.max(0, last + 1 - data.maxStoredFeatures()); // the bounded store: oldest evicted
    int n = last + 1 - from;
    long[] t = new long[n];
    Boolean[] l = new Boolean[n];
    int usable = 0;
    for (int k = 0; k < n; k++) {
      t[k] = timesMillis[from + k];
      l[k] = labels[from + k];
      usable += l[k] != null ? 1 : 0;
    }
    Retraining.Split split = Retraining.split(t, l, data);
    if (split.skipped() != null) {
      runs.add(new Run(sequence, usable, false, "skipped: " + split.skipped()));
      return false;
    }
    FeatureMatrix store = rows.slice(from, last + 1);
    FeatureMatrix unsup = Retraining.rows(store, split.unsupervised());
    FeatureMatrix learn = split.learn().length == 0 ? null : Retraining.rows(store, split.learn());
    FeatureMatrix holdout = Retraining.rows(store, split.holdout());
    boolean[] learnLabels = bools(l, split.learn());
    boolean[] holdoutLabels = bools(l, split.holdout());
    Retraining.Candidate c = Retraining.train(config.model(), config.head(), unsup, learn, learnLabels,
        featureSetId, featureSetVersion, EpochListener.none());
    boolean promoted = false;
    try {
      Retraining.HoldoutMetrics cand = Retraining.evaluate(c.artifact(), holdout, holdoutLabels);
      Retraining.HoldoutMetrics champ = Retraining.evaluate(current, holdout, holdoutLabels);
      promoted = Retraining.better(cand, champ, config.watch().promotion().margin());
      String reason = String.format(java.util.Locale.ROOT,
          "holdout F1 %.4f vs %.4f, PR-AUC %.4f vs %.4f (%d labels, %d holdout, head %s, threshold %.3f)",
          cand.f1(), champ.f1(), cand.prAuc(), champ.prAuc(), usable, holdoutLabels.length,
          c.head().headTrained(), c.artifact().spec().scale().threshold());
      runs.add(new Run(sequence, usable, promoted, (promoted ? "promoted: " : "kept: ") + reason));
      LOG.info("eval retrain at {}: {}", sequence, runs.get(runs.size() - 1).reason());
      if (promoted) {
        scorer.close();
        currentModel.close();
        currentModel = c.trained();
        current = c.artifact();
        scorer = new Scorer(current);
      }
    } finally {
      if (!promoted) {
        c.close();
      }
    }
    return promoted;
  }

  private static boolean[] bools(Boolean[] l, int[] idx) {
    boolean[] out = new boolean[idx.length];
    for (int k = 0; k < idx.length; k++) {
      out[k] = l[idx[k]];
    }
    return out;
  }

  /** Every run so far, in order. */
  public List<Run> runs() {
    return List.copyOf(runs);
  }

  public int promotions() {
    return (int) runs.stream().filter(Run::promoted).count();
  }

  @Override
  public void close() {
    scorer.close();
    currentModel.close();
  }
}
