package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import io.vigil.training.FeatureMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams windows in time order; each is scored by the model as it is at that moment and logged,
 * and only then may the learner see it (and ask for its label through {@link GuardedLabels}). The
 * metrics are computed from the returned log.
 */
public final class PrequentialLoop {

  /** Scores one window with the current model. */
  @FunctionalInterface
  public interface WindowScorer {
    Prediction score(long sequence, float[] features);
  }

  /**
   * Sees each window after it was scored and logged: a query strategy asks the annotator here and
   * retrains the scorer. {@code none} does nothing.
   */
  @FunctionalInterface
  public interface Learner {
    void afterScored(Prediction prediction, float[] features, GuardedLabels annotator);

    static Learner none() {
      return (p, f, a) -> { };
    }
  }

  private PrequentialLoop() {}

  public static List<Prediction> run(FeatureMatrix stream, WindowScorer scorer, Learner learner,
      GuardedLabels annotator) {
    requireNonNull(scorer, "scorer");
    requireNonNull(learner, "learner");
    requireNonNull(annotator, "annotator");
    List<Prediction> log = new ArrayList<>(stream.rows());
    for (int r = 0; r < stream.rows(); r++) {
      long seq = stream.sequences()[r];
      float[] x = stream.row(r);
      Prediction p = scorer.score(seq, x);
      if (p.sequence() != seq) {
        throw new IllegalStateException("scorer answered for window " + p.sequence() + ", not " + seq);
      }
      log.add(p);
      annotator.markScored(seq);
      learner.afterScored(p, x, annotator);
    }
    return log;
  }
}
