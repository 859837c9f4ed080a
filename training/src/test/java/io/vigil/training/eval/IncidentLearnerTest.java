package io.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.selection.Strategy;
import io.vigil.training.FeatureMatrix;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Incidents open on a confirmed anomaly, flag windows, follow up every 10 windows, close on "normal". */
class IncidentLearnerTest {

  /**
   * 300 windows; model score 0.9 at 150 only (the only one above the level, the 0.97 quantile of the
   * scores before it), else slowly decreasing from -5 (never above the level).
   */
  static List<Prediction> run(IncidentLearner learner, GuardedLabels labels, List<Long> asked) {
    FeatureMatrix.Builder b = new FeatureMatrix.Builder(List.of("x.last"));
    for (int i = 0; i < 300; i++) {
      b.add(i, new float[] {i == 150 ? 0.9f : -5f - i * 1e-3f});
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
    IncidentLearner learner = new IncidentLearner(Strategy.UNCERTAINTY, 100, 300, 0, 1);
    GuardedLabels labels = new GuardedLabels(seq -> seq >= 150 && seq < 215);
    List<Long> asked = new ArrayList<>();
    List<Prediction> log = run(learner, labels, asked);
    // asked at 150 (above the level; yes: open), follow-ups every 10 windows, 220 says normal -> closed
    assertThat(asked).containsExactly(150L, 160L, 170L, 180L, 190L, 200L, 210L, 220L);
    assertThat(learner.queries()).isEqualTo(8);
    assertThat(log.get(150).flagged()).isFalse();
    assertThat(log.subList(151, 221)).allMatch(Prediction::flagged);
    assertThat(log.subList(221, 300)).noneMatch(Prediction::flagged);
    // a flagged window ranks above every unflagged one
    double minFlagged = log.subList(151, 221).stream().mapToDouble(Prediction::score).min().orElseThrow();
    double maxOther = log.subList(0, 151).stream().mapToDouble(Prediction::score).max().orElseThrow();
    assertThat(minFlagged).isGreaterThan(maxOther);
    // fresher confirmation ranks higher: right after the "yes" at 160 vs just before the next follow-up
    assertThat(log.get(161).score()).isGreaterThan(log.get(170).score());
    assertThat(labels.revealed()).isEqualTo(8);
  }

  @Test
  void nothingAboveTheLevelDuringWarmUpOrAfter() {
    // the threshold (1.0) would call 0.9 uncertain; the level does not ask before 100 windows were seen
    IncidentLearner learner = new IncidentLearner(Strategy.UNCERTAINTY, 100, 300, 0, 1);
    FeatureMatrix.Builder b = new FeatureMatrix.Builder(List.of("x.last"));
    for (int i = 0; i < 300; i++) {
      b.add(i, new float[] {i == 50 ? 0.9f : -5f - i * 1e-3f});
    }
    PrequentialLoop.run(b.build(), (seq, x) -> {
      double s = learner.adjust(x[0]);
      return new Prediction(seq, s, s >= 1.0, new float[0]);
    }, learner, new GuardedLabels(seq -> true));
    assertThat(learner.queries()).isZero();
  }

  @Test
  void budgetIsPacedOverTime() {
    // random asks with probability budget / T; pacing keeps the spent queries under budget * t / T + slack
    IncidentLearner learner = new IncidentLearner(Strategy.RANDOM, 10, 300, 0, 3);
    List<Long> asked = new ArrayList<>();
    run(learner, new GuardedLabels(seq -> false), asked);
    for (int k = 0; k < asked.size(); k++) {
      long t = asked.get(k) + 1;
      assertThat(k + 1L).isLessThanOrEqualTo(Math.min(10, 10 * t / 300 + 5 /* slack */));
    }
    assertThat(learner.queries()).isLessThanOrEqualTo(10);
  }

  @Test
  void noneNeverAsks() {
    IncidentLearner learner = new IncidentLearner(Strategy.NONE, 0, 300, 0, 1);
    List<Long> asked = new ArrayList<>();
    run(learner, new GuardedLabels(seq -> true), asked);
    assertThat(asked).isEmpty();
  }
}
