package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import java.util.HashSet;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * The simulated annotator's source of truth, guarded: a label can be revealed only for a window
 * that is already in the prediction log, so nothing in the loop can learn a label before the window
 * was scored.
 */
public final class GuardedLabels {

  private final LongFunction<Boolean> truth;
  private final Set<Long> scored = new HashSet<>();
  private long revealed;

  public GuardedLabels(LongFunction<Boolean> truth) {
    this.truth = requireNonNull(truth, "truth");
  }

  /** Called by the loop once a window's prediction is logged. */
  void markScored(long sequence) {
    scored.add(sequence);
  }

  /** The label of an already-scored window (null when the data has none). */
  public Boolean reveal(long sequence) {
    if (!scored.contains(sequence)) {
      throw new IllegalStateException("label of window " + sequence + " asked for before it was scored");
    }
    revealed++;
    return truth.apply(sequence);
  }

  /** How many labels were revealed (queries). */
  public long revealed() {
    return revealed;
  }
}
