package io.vigil.selection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The query level follows the score stream: a quantile of the latest scores, none before warm-up. */
class ScoreLevelTest {

  @Test
  void infiniteDuringWarmUpThenTheQuantileOfThePastScores() {
    ScoreLevel l = new ScoreLevel(0.97, 1000, 50, 100);
    for (int i = 0; i < 99; i++) {
      l.add(i);
      assertThat(l.level()).isInfinite();
    }
    l.add(99);
    // scores 0..99: linear interpolation at 0.97 * 99 = 96.03
    assertThat(l.level()).isCloseTo(96.03, Offset.offset(1e-9));
    for (int i = 100; i < 149; i++) {
      l.add(i);
      assertThat(l.level()).isCloseTo(96.03, Offset.offset(1e-9)); // recomputed every 50 only
    }
    l.add(149);
    assertThat(l.level()).isCloseTo(0.97 * 149, Offset.offset(1e-9));
  }

  @Test
  void forgetsScoresOlderThanItsCapacityAndIgnoresNonFiniteOnes() {
    ScoreLevel l = new ScoreLevel(0.5, 100, 100, 100);
    for (int i = 0; i < 100; i++) {
      l.add(1000);
    }
    assertThat(l.level()).isEqualTo(1000);
    l.add(Double.NaN);
    for (int i = 0; i < 100; i++) {
      l.add(1);
    }
    assertThat(l.level()).isEqualTo(1);
    assertThat(l.count()).isEqualTo(200);
  }

  @Test
  void ofLevelAsksAtOrAboveTheLevelOnly() {
    assertThat(UncertaintyMeasure.ofLevel(2, 2)).isEqualTo(1.0);
    assertThat(UncertaintyMeasure.ofLevel(1.999, 2)).isZero();
    assertThat(UncertaintyMeasure.ofLevel(5, Double.POSITIVE_INFINITY)).isZero();
    assertThatThrownBy(() -> new ScoreLevel(1.0, 10, 1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
