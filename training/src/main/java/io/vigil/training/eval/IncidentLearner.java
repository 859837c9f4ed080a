package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import io.vigil.selection.Decision;
import io.vigil.selection.EntityQueryState;
import io.vigil.selection.QueryPolicy;
import io.vigil.selection.Strategy;
import io.vigil.selection.UncertaintyMeasure;
import java.util.Random;

/**
 * Queries a (simulated) annotator and tracks incidents the way the streaming label-request stage
 * does, with the same {@link QueryPolicy} (DESIGN §5): a "yes, anomaly" answer opens an incident on
 * the entity; while it is open every window is flagged; follow-up confirmations are asked after 10,
 * 20, 40, ... windows; a "normal" answer closes it.
 *
 * <p>The budget is paced over the test part ({@link QueryPolicy#forEvaluation}); the uncertainty of a
 * window is {@link UncertaintyMeasure#ofScore} of its score against the operating threshold of the model
 * scoring now ({@link #threshold(double)} follows promotions), with a
 * neutral weight. Answers are wrong with probability {@code noise}. The simulated answer comes at
 * once, where the system's comes whenever the annotator gets to it.
 */
public final class IncidentLearner implements PrequentialLoop.Learner {

  /** Added to the score of a window while its entity has an open incident (flags and ranks it first). */
  public static final double INCIDENT_BOOST = 1000;

  private final QueryPolicy policy;
  private final EntityQueryState state = new EntityQueryState();
  private double threshold;
  private final double noise;
  private final Random random;
  private AnswerListener answers = (sequence, anomaly) -> { };

  /** Told every answer the simulated annotator gives (the labels a retraining learns from). */
  @FunctionalInterface
  public interface AnswerListener {
    void onAnswer(long sequence, boolean anomaly);
  }

  public IncidentLearner(Strategy strategy, int budget, long totalWindows, double threshold, double noise,
      long seed) {
    requireNonNull(strategy, "strategy");
    if (budget < 0 || totalWindows < 1 || !(noise >= 0 && noise < 0.5)) {
      throw new IllegalArgumentException("budget >= 0, windows >= 1 and annotator noise in [0, 0.5) needed");
    }
    this.policy = QueryPolicy.forEvaluation(strategy, budget, totalWindows);
    this.threshold = threshold;
    this.noise = noise;
    this.random = new Random(seed);
  }

  /** Where the answers go (e.g. a {@link StreamRetrainer}); replaces the previous listener. */
  public IncidentLearner onAnswers(AnswerListener listener) {
    this.answers = requireNonNull(listener, "listener");
    return this;
  }

  /** The operating threshold of the model now scoring (it moves when a retrained model is promoted). */
  public void threshold(double t) {
    this.threshold = t;
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
    return state.incidentOpen ? modelScore + INCIDENT_BOOST : modelScore;
  }

  @Override
  public void afterScored(Prediction p, float[] features, GuardedLabels annotator) {
    Decision d = policy.decide(state, UncertaintyMeasure.ofScore(p.score(), threshold), 1.0, p.sequence(),
        random);
    if (d.ask()) {
      boolean truth = Boolean.TRUE.equals(annotator.reveal(p.sequence()));
      boolean answer = noise > 0 && random.nextDouble() < noise ? !truth : truth;
      policy.onAnswer(state, answer, null);
      answers.onAnswer(p.sequence(), answer);
    }
  }
}
