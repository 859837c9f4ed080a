package io.vigil.training.watch;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;

/**
 * What one retraining run decided, as recorded on the registry run and on {@code
 * vigil.model-events}.
 *
 * @param run the watcher's run number (1, 2, ...)
 * @param trigger why it ran: {@code labels}, {@code drift}, {@code schedule} or {@code manual}
 * @param outcome the decision
 * @param version the candidate's registered version, null when none was registered
 * @param championVersion the version {@code champion} pointed to when the run started, null if none
 * @param labelSnapshot hash of the sorted label event ids the run used, null when skipped early
 * @param labelsUsed usable labels the run saw (training, calibration and holdout)
 * @param metrics holdout metrics of the candidate ({@code holdout_f1}, {@code holdout_pr_auc}) and of
 *     the champion ({@code champion_holdout_f1}, {@code champion_holdout_pr_auc})
 * @param reason a sentence a person can read
 */
public record RetrainDecision(int run, String trigger, Outcome outcome, String version, String championVersion,
    String labelSnapshot, int labelsUsed, Map<String, Double> metrics, String reason, Instant at) {

  public RetrainDecision {
    requireNonNull(trigger, "trigger");
    requireNonNull(outcome, "outcome");
    metrics = Map.copyOf(metrics);
    requireNonNull(reason, "reason");
    requireNonNull(at, "at");
  }

  /** The decision of a run. */
  public enum Outcome {
    /** {@code champion} moved to the candidate (policy auto, better by the margin, or no champion). */
    PROMOTED,
    /** {@code challenger} points at the candidate, a reviewer decides (policy review). */
    PROPOSED,
    /** The candidate is registered but not better: the champion stays. */
    KEPT,
    /** Not enough data to train or evaluate: nothing registered. */
    SKIPPED,
    /** The run failed (logged); nothing promoted. */
    FAILED
  }
}
