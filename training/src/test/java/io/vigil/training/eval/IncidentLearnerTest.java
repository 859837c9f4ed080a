package io.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.selection.Strategy;
import io.vigil.training.FeatureMatrix;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Incidents open on a confirmed anomaly, flag windows, follow up at growing intervals, close on "normal". */
class IncidentLearnerTest {

  /** 200 windows; anomalous 50..119; model score 0.9 (near the threshold 1.0) at 50 only, else -5. */
  static List<Prediction> run(IncidentLearner learner, GuardedLabels labels, List<Long> asked) {
    FeatureMatrix.Builder b = new FeatureMatrix.Builder(List.of("x.last"));
    for (int i = 0; i < 200; i++) {
      b.add(i, new float[] {i == 50 ? 0.9f : -5f});
    }
    return PrequentialLoop.run(b.build(),
        (seq, x) -> {
          double s = learner.adjust(x[0]);
          return new Prediction(seq, s, s >= 1.0, new float[0]);
        },
        (p, x, annotator) -> {
          long before = learner.queries();
          learner.afterScored(p, x, annotator);
          if (learner.queries() > before) {
            asked.add(p.sequence());
          }
        }, labels);
  }

  @Test
  void confirmedAnomalyOpensAnIncidentThatIsFollowedUpAndClosed() {
    IncidentLearner learner = new IncidentLearner(Strategy.UNCERTAINTY, 100, 200, 1.0, 0, 1);
    GuardedLabels labels = new GuardedLabels(seq -> seq >= 50 && seq < 120);
    List<Long> asked = new ArrayList<>();
    List<Prediction> log = run(learner, labels, asked);
    // asked at 50 (yes: open), follow-ups after 10 (60), 20 (80), 40 (120: normal -> closed)
    assertThat(asked).containsExactly(50L, 60L, 80L, 120L);
    assertThat(learner.queries()).isEqualTo(4);
    assertThat(log.get(50).flagged()).isFalse();
    assertThat(log.subList(51, 121)).allMatch(Prediction::flagged);
    assertThat(log.subList(121, 200)).noneMatch(Prediction::flagged);
    assertThat(labels.revealed()).isEqualTo(4);
  }

  @Test
  void budgetIsPacedOverTime() {
    // random asks with probability budget / T; pacing keeps the spent queries under budget * t / T + slack
    IncidentLearner learner = new IncidentLearner(Strategy.RANDOM, 10, 200, 1.0, 0, 3);
    List<Long> asked = new ArrayList<>();
    run(learner, new GuardedLabels(seq -> false), asked);
    for (int k = 0; k < asked.size(); k++) {
      long t = asked.get(k) + 1;
      assertThat(k + 1L).isLessThanOrEqualTo(Math.min(10, 10 * t / 200 + 5 /* slack */));
    }
    assertThat(learner.queries()).isLessThanOrEqualTo(10);
  }

  @Test
  void noneNeverAsks() {
    IncidentLearner learner = new IncidentLearner(Strategy.NONE, 0, 200, 1.0, 0, 1);
    List<Long> asked = new ArrayList<>();
    run(learner, new GuardedLabels(seq -> true), asked);
    assertThat(asked).isEmpty();
  }
}
