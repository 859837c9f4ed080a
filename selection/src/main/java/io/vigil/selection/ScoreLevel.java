package io.vigil.selection;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A query level that follows the entity's own score stream: the {@code quantile} of the last
 * {@code capacity} scores seen, recomputed every {@code every} scores once {@code warmUp} were seen
 * (until then the level is {@code +inf}: nothing is above it). Windows scored at or above the level
 * are the ones worth asking about ({@link UncertaintyMeasure#ofLevel}).
 *
 * <p>Why not the model's operating threshold: it is the 0.99 quantile of the model's held-out
 * training rows, and on a test stream that drifted away from training it sits inside the bulk of the
 * scores (JumpStarter: median test score ≈ the threshold), so "near the threshold" picks normal windows
 * and spends the budget before an incident starts (ADR 0007). A quantile of the scores actually
 * streamed adapts to that drift and uses no label.
 *
 * <p>Mutable, one instance per entity (like {@link EntityQueryState}); bounded memory
 * ({@code capacity} doubles); deterministic.
 */
public final class ScoreLevel implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The level {@code vigil eval} uses: 0.97 quantile of the last 8192 scores, every 50, after 100. */
  public static ScoreLevel forEvaluation() {
    return new ScoreLevel(0.97, 8192, 50, 100);
  }

  private final double quantile;
  private final int every;
  private final int warmUp;
  private final double[] ring;
  private long count;
  private double level = Double.POSITIVE_INFINITY;

  /**
   * @param quantile in (0, 1)
   * @param capacity how many of the latest scores the quantile is taken over
   * @param every recompute after this many new scores
   * @param warmUp scores needed before there is a level
   */
  public ScoreLevel(double quantile, int capacity, int every, int warmUp) {
    if (!(quantile > 0 && quantile < 1) || capacity < 1 || every < 1 || warmUp < 1) {
      throw new IllegalArgumentException("score level: quantile in (0, 1), capacity, every, warmUp >= 1");
    }
    this.quantile = quantile;
    this.every = every;
    this.warmUp = warmUp;
    this.ring = new double[capacity];
  }

  /** The current level (over the scores added before now); {@code +inf} during warm-up. */
  public double level() {
    return level;
  }

  /** Adds the score of the window just seen (call after {@link #level()} was used for it). */
  public void add(double score) {
    if (!Double.isFinite(score)) {
      return;
    }
    ring[(int) (count % ring.length)] = score;
    count++;
    if (count >= warmUp && count % every == 0) {
      int n = (int) Math.min(count, ring.length);
      double[] sorted = Arrays.copyOf(ring, n);
      Arrays.sort(sorted);
      // linear interpolation between closest ranks (numpy's default)
      double pos = quantile * (n - 1);
      int lo = (int) Math.floor(pos);
      int hi = Math.min(n - 1, lo + 1);
      level = sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
  }

  public long count() {
    return count;
  }

  public double quantile() {
    return quantile;
  }

  public int capacity() {
    return ring.length;
  }

  public int every() {
    return every;
  }

  public int warmUp() {
    return warmUp;
  }

  /**
   * The scores the level is taken over, in ring order: the first {@code min(count, capacity)} slots
   * (a copy). With {@link #restore} this is the level's whole state, for state backends.
   */
  public double[] scores() {
    return Arrays.copyOf(ring, (int) Math.min(count, ring.length));
  }

  /** A level as {@link #scores()}, {@link #count()} and {@link #level()} described it. */
  public static ScoreLevel restore(double quantile, int capacity, int every, int warmUp, double[] scores,
      long count, double level) {
    ScoreLevel l = new ScoreLevel(quantile, capacity, every, warmUp);
    if (count < 0 || scores.length != (int) Math.min(count, capacity)) {
      throw new IllegalArgumentException("score level: " + scores.length + " scores for count " + count
          + " and capacity " + capacity);
    }
    System.arraycopy(scores, 0, l.ring, 0, scores.length);
    l.count = count;
    l.level = level;
    return l;
  }
}
