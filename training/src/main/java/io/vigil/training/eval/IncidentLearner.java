package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import java.util.Random;

/**
 * Queries a (simulated) annotator and tracks incidents, as the system would (DESIGN §5): a "yes,
 * anomaly" answer opens an incident on the entity; while it is open every window is flagged;
 * follow-up confirmations are asked after 10, 20, 40, ... windows (the interval doubles on each
 * "still anomalous"); a "normal" answer closes it.
 *
 * <p>Budget pacing: by window {@code t} of {@code T} at most {@code budget * t / T + slack} queries
 * (follow-ups included) have been spent, so the budget is not used up on the first burst. Outside
 * incidents, {@link Strategy#RANDOM} asks with probability {@code budget / T}; {@link
 * Strategy#UNCERTAINTY} asks about windows whose uncertainty {@code exp(-|score - threshold|)} is at
 * least 0.5, at most once per {@code cooldown} windows. Answers are wrong with probability {@code
 * noise}. No supervised head is trained here (FINDINGS: it barely helps with few labels).
 */
public final class IncidentLearner implements PrequentialLoop.Learner {

  /** Added to the score of a window while its entity has an open incident (flags and ranks it first). */
  public static final double INCIDENT_BOOST = 1000;

  static final int FIRST_FOLLOW_UP = 10;
  static final int SLACK = 5;
  static final int COOLDOWN = 10;

  private final Strategy strategy;
  private final int budget;
  private final long total;
  private final double threshold;
  private final double noise;
  private final Random random;

  private long seen;
  private long queries;
  private long lastQuery = Long.MIN_VALUE / 2;
  private boolean open;
  private long sinceOpen;
  private long interval;
  private long nextFollowUp;

  public IncidentLearner(Strategy strategy, int budget, long totalWindows, double threshold, double noise,
      long seed) {
    this.strategy = requireNonNull(strategy, "strategy");
    if (budget < 0 || totalWindows < 1 || !(noise >= 0 && noise < 0.5)) {
      throw new IllegalArgumentException("budget >= 0, windows >= 1 and annotator noise in [0, 0.5) needed");
    }
    this.budget = budget;
    this.total = totalWindows;
    this.threshold = threshold;
    this.noise = noise;
    this.random = new Random(seed);
  }

  /** True while an incident is open: the next window is flagged. */
  public boolean incidentOpen() {
    return open;
  }

  public long queries() {
    return queries;
  }

  /** The score the system reports for a window, given the model's score. */
  public double adjust(double modelScore) {
    return open ? modelScore + INCIDENT_BOOST : modelScore;
  }

  @Override
  public void afterScored(Prediction p, float[] features, GuardedLabels annotator) {
    seen++;
    long allowed = Math.min(budget, budget * seen / total + SLACK);
    boolean canAsk = queries < allowed && strategy != Strategy.NONE;
    if (open) {
      sinceOpen++;
      if (sinceOpen >= nextFollowUp && canAsk) {
        if (ask(p.sequence(), annotator)) {
          interval *= 2;
          nextFollowUp = sinceOpen + interval;
        } else {
          open = false;
        }
      }
      return;
    }
    boolean pick = switch (strategy) {
      case NONE -> false;
      case RANDOM -> random.nextDouble() < (double) budget / total;
      case UNCERTAINTY -> Math.exp(-Math.abs(p.score() - threshold)) >= 0.5 && seen - lastQuery >= COOLDOWN;
    };
    if (pick && canAsk && ask(p.sequence(), annotator)) {
      open = true;
      sinceOpen = 0;
      interval = FIRST_FOLLOW_UP;
      nextFollowUp = FIRST_FOLLOW_UP;
    }
  }

  private boolean ask(long sequence, GuardedLabels annotator) {
    queries++;
    lastQuery = seen;
    boolean truth = Boolean.TRUE.equals(annotator.reveal(sequence));
    return noise > 0 && random.nextDouble() < noise ? !truth : truth;
  }
}
