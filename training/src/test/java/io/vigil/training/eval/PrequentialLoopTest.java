package io.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.training.FeatureMatrix;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The loop scores each window before anything may learn its label. */
class PrequentialLoopTest {

  static FeatureMatrix stream(int rows) {
    FeatureMatrix.Builder b = new FeatureMatrix.Builder(List.of("x.last"));
    for (int i = 0; i < rows; i++) {
      b.add(100 + i, new float[] {i});
    }
    return b.build();
  }

  @Test
  void everyLabelIsRevealedOnlyAfterItsWindowWasScored() {
    List<String> events = new ArrayList<>();
    GuardedLabels labels = new GuardedLabels(seq -> seq % 3 == 0);
    List<Prediction> log = PrequentialLoop.run(stream(6),
        (seq, x) -> {
          events.add("score " + seq);
          return new Prediction(seq, x[0], false, new float[0]);
        },
        (p, x, annotator) -> {
          annotator.reveal(p.sequence());
          events.add("label " + p.sequence());
        },
        labels);
    assertThat(log).extracting(Prediction::sequence).containsExactly(100L, 101L, 102L, 103L, 104L, 105L);
    assertThat(events).containsExactly("score 100", "label 100", "score 101", "label 101", "score 102",
        "label 102", "score 103", "label 103", "score 104", "label 104", "score 105", "label 105");
    assertThat(labels.revealed()).isEqualTo(6);
  }

  @Test
  void askingForTheLabelOfAWindowNotYetScoredFails() {
    GuardedLabels labels = new GuardedLabels(seq -> true);
    assertThatThrownBy(() -> PrequentialLoop.run(stream(3),
        (seq, x) -> new Prediction(seq, 0, false, new float[0]),
        (p, x, annotator) -> annotator.reveal(p.sequence() + 1), labels))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("before it was scored");
    assertThatThrownBy(() -> new GuardedLabels(seq -> true).reveal(5)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void strategyNoneAsksNothing() {
    GuardedLabels labels = new GuardedLabels(seq -> {
      throw new AssertionError("no label may be read");
    });
    List<Prediction> log = PrequentialLoop.run(stream(4),
        (seq, x) -> new Prediction(seq, x[0], x[0] > 1, new float[0]), PrequentialLoop.Learner.none(), labels);
    assertThat(log).hasSize(4);
    assertThat(labels.revealed()).isZero();
  }
}
