package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import io.vigil.selection.Decision;
import io.vigil.selection.EntityQueryState;
import io.vigil.selection.QueryPolicy;
import io.vigil.selection.ScoreLevel;
import io.vigil.selection.Strategy;
import io.vigil.selection.UncertaintyMeasure;
import java.util.Random;

/**
 * Queries a (simulated) annotator and tracks incidents the way the streaming label-request stage
 * does, with the same {@link QueryPolicy} (DESIGN §5): a "yes, anomaly" answer opens an incident on
 * the entity; while it is open every window is flagged; follow-up confirmations are asked every 10
 * windows (as the budget allows); a "normal" answer closes it.
 *
 * <p>The budget is paced over the test part ({@link QueryPolicy#forEvaluation}: follow-ups every 10
 * windows); a window is uncertain ({@link UncertaintyMeasure#ofLevel}) when its model score is at or
 * above the entity's {@link ScoreLevel} — the 0.97 quantile of the model scores streamed so far, not
 * the operating threshold (held-out p99), which on drifted test data sits among the normal windows
 * (ADR 0007). Weight neutral. Answers are wrong with probability {@code noise}. The simulated answer
 * comes at once, where the system's comes whenever the annotator gets to it.
 */
public final class IncidentLearner implements PrequentialLoop.Learner {

  /**
   * Added to the score of a window while its entity has an open incident (flags and ranks it first):
   * {@code INCIDENT_BOOST · (1 + 1 / (1 + k / STALENESS_SCALE))}, k = windows since the last "yes"
   * (the opening answer or a confirming follow-up), so among flagged windows the recently confirmed
   * rank first and those of an incident whose follow-up is overdue (no budget to ask) last, still
   * above every unflagged window (ADR 0007).
   */
  public static final double INCIDENT_BOOST = 1000;
  /** Windows over which an unconfirmed incident's rank halves its extra boost. */
  public static final double STALENESS_SCALE = 10;

  private final QueryPolicy policy;
  private final EntityQueryState state = new EntityQueryState();
  private final ScoreLevel level = ScoreLevel.forEvaluation();
  private double lastModelScore = Double.NaN;
  /** Index of the next window to be scored, and of the window whose "yes" last confirmed the incident. */
  private long index;
  private long confirmedAt;
  private final double noise;
  private final Random random;
  private AnswerListener answers = (sequence, anomaly) -> { };

  /** Told every answer the simulated annotator gives (the labels a retraining learns from). */
  @FunctionalInterface
  public interface AnswerListener {
    void onAnswer(long sequence, boolean anomaly);
  }

  public IncidentLearner(Strategy strategy, int budget, long totalWindows, double noise, long seed) {
    requireNonNull(strategy, "strategy");
    if (budget < 0 || totalWindows < 1 || !(noise >= 0 && noise < 0.5)) {
      throw new IllegalArgumentException("budget >= 0, windows >= 1 and annotator noise in [0, 0.5) needed");
    }
    this.policy = QueryPolicy.forEvaluation(strategy, budget, totalWindows);
    this.noise = noise;
    this.random = new Random(seed);
  }

  /** Where the answers go (e.g. a {@link StreamRetrainer}); replaces the previous listener. */
  public IncidentLearner onAnswers(AnswerListener listener) {
    this.answers = requireNonNull(listener, "listener");
    return this;
  }

  /** True while an incident is open: the next window is flagged. */
  public boolean incidentOpen() {
    return state.incidentOpen;
  }

  public long queries() {
    return state.queries;
  }

  /** The score the system reports for a window, given the model's score. */
  public double adjust(double modelScore) {
    lastModelScore = modelScore;
    if (!state.incidentOpen) {
      return modelScore;
    }
    double stale = index - confirmedAt;
    return modelScore + INCIDENT_BOOST * (1 + 1 / (1 + stale / STALENESS_SCALE));
  }

  /** The query level now (the 0.97 quantile of the model scores seen; +inf during warm-up). */
  public double level() {
    return level.level();
  }

  @Override
  public void afterScored(Prediction p, float[] features, GuardedLabels annotator) {
    // the model's own score (the logged one carries the incident flag), fed to the level after use
    double modelScore = Double.isNaN(lastModelScore) ? p.score() : lastModelScore;
    lastModelScore = Double.NaN;
    Decision d = policy.decide(state, UncertaintyMeasure.ofLevel(modelScore, level.level()), 1.0,
        p.sequence(), random);
    level.add(modelScore);
    if (d.ask()) {
      boolean truth = Boolean.TRUE.equals(annotator.reveal(p.sequence()));
      boolean answer = noise > 0 && random.nextDouble() < noise ? !truth : truth;
      policy.onAnswer(state, answer, null);
      if (answer) {
        confirmedAt = index;
      }
      answers.onAnswer(p.sequence(), answer);
    }
    index++;
  }
}
