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

  @Test
  void aRestoredLevelGoesOnExactlyAsTheOriginal() {
    for (int seen : new int[] {0, 5, 40, 300}) { // empty, warm-up, partly filled, wrapped around
      ScoreLevel a = new ScoreLevel(0.9, 64, 3, 10);
      for (int i = 0; i < seen; i++) {
        a.add((i * 37) % 101);
      }
      ScoreLevel b = ScoreLevel.restore(a.quantile(), a.capacity(), a.every(), a.warmUp(), a.scores(),
          a.count(), a.level());
      for (int i = 0; i < 200; i++) {
        double x = (i * 53) % 97;
        a.add(x);
        b.add(x);
        assertThat(b.level()).isEqualTo(a.level());
      }
    }
    assertThatThrownBy(
        () -> ScoreLevel.restore(0.9, 64, 3, 10, new double[3], 5, 1.0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
