package io.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The metrics against values computed by hand on a ten-window series with two events: rows 2-4
 * (only row 2 scored high) and row 7.
 */
class MetricsTest {

  //                                   0      1     2     3      4     5     6      7     8     9
  static final boolean[] LABELS = {false, false, true, true, true, false, false, true, false, false};
  static final double[] SCORES = {0.1, 0.2, 0.9, 0.02, 0.03, 0.8, 0.15, 0.7, 0.05, 0.25};

  @Test
  void bestF1WithoutPointAdjustmentIsFourSevenths() {
    // best at threshold 0.7: tp = 2 (rows 2, 7), fp = 1 (row 5), fn = 2 -> P = 2/3, R = 1/2
    Metrics.F1 f = Metrics.bestF1(SCORES, LABELS);
    assertThat(f.f1()).isCloseTo(4.0 / 7, within(1e-12));
    assertThat(f.threshold()).isEqualTo(0.7);
    assertThat(f.precision()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(f.recall()).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void pointAdjustmentCreditsTheWholeEventAndInflatesF1() {
    // rows 3 and 4 take row 2's 0.9: at 0.7, tp = 4, fp = 1 -> P = 0.8, R = 1 -> 8/9
    assertThat(Metrics.pointAdjustedBestF1(SCORES, LABELS).f1()).isCloseTo(8.0 / 9, within(1e-12));
    assertThat(Metrics.bestF1(SCORES, LABELS).f1()).isLessThan(Metrics.pointAdjustedBestF1(SCORES, LABELS).f1());
  }

  @Test
  void averagePrecisionSumsPrecisionAtEachRecallStep() {
    // recall steps at 0.9 (P 1), 0.7 (P 2/3), 0.03 (P 3/9), 0.02 (P 4/10), each of 1/4
    double expected = 0.25 * (1 + 2.0 / 3 + 1.0 / 3 + 0.4);
    assertThat(Metrics.averagePrecision(SCORES, LABELS)).isCloseTo(expected, within(1e-12));
    assertThat(expected).isCloseTo(0.6, within(1e-12));
  }

  @Test
  void f1AtAThresholdCountsEveryWindowOnce() {
    // flagged at 0.5: rows 2, 5, 7 -> tp 2, fp 1, fn 2
    assertThat(Metrics.f1At(SCORES, LABELS, 0.5).f1()).isCloseTo(4.0 / 7, within(1e-12));
    assertThat(Metrics.f1At(SCORES, LABELS, 1.0).f1()).isZero();
  }

  @Test
  void eventF1CountsDetectedEventsAndCorrectAlarmRuns() {
    // flagged runs at 0.5: [2], [5], [7]; true events [2..4], [7]
    // event recall 2/2, event precision 2/3 ([5] overlaps no event) -> F1 0.8
    Metrics.F1 e = Metrics.eventF1(SCORES, LABELS, 0.5);
    assertThat(e.recall()).isEqualTo(1.0);
    assertThat(e.precision()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(e.f1()).isCloseTo(0.8, within(1e-12));
    // at 0.75: runs [2], [5] -> recall 1/2, precision 1/2
    assertThat(Metrics.eventF1(SCORES, LABELS, 0.75).f1()).isCloseTo(0.5, within(1e-12));
    assertThat(Metrics.eventF1(SCORES, LABELS, 2).f1()).isZero();
  }

  @Test
  void eventsAreMaximalRuns() {
    assertThat(Metrics.events(LABELS)).containsExactly(new int[] {2, 5}, new int[] {7, 8});
    assertThat(Metrics.events(new boolean[] {true, true})).containsExactly(new int[] {0, 2});
  }

  @Test
  void tiedScoresAreFlaggedTogether() {
    double[] s = {0.5, 0.5, 0.1};
    boolean[] l = {true, false, false};
    // only threshold 0.5 can include row 0 and it brings row 1: P 1/2 R 1 -> 2/3
    assertThat(Metrics.bestF1(s, l).f1()).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(Metrics.averagePrecision(s, l)).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void hitRateAt150PercentLooksAtTheTopOneAndAHalfTimesTheRootCauseCount() {
    List<String> ranking = List.of("a", "b", "c", "d");
    // {a, c}: top 3 = a, b, c -> 2/2; {d}: top 1 = a -> 0; {b, c, d}: top 4 -> 3/3
    double h = Metrics.hitRate(List.of(ranking, ranking, ranking),
        List.of(Set.of("a", "c"), Set.of("d"), Set.of("b", "c", "d")), 1.5);
    assertThat(h).isCloseTo(2.0 / 3, within(1e-12));
    assertThat(Metrics.hitRate(List.of(), List.of(), 1.5)).isNaN();
  }
}
