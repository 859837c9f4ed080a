package io.vigil.drift.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every statistic against values computed by hand. */
class DriftStatisticsTest {

  @Test
  void binsValuesLikeTrainingWithUnderAndOverflow() {
    BinEdges e = new BinEdges(new double[] {0, 1, 2});
    assertThat(e.cells()).isEqualTo(4);
    assertThat(e.cellOf(-1)).isZero();
    assertThat(e.cellOf(0)).isEqualTo(1);
    assertThat(e.cellOf(0.5)).isEqualTo(1);
    assertThat(e.cellOf(1)).isEqualTo(2);
    assertThat(e.cellOf(2)).isEqualTo(2); // the last bin includes its upper edge
    assertThat(e.cellOf(2.1)).isEqualTo(3);
    assertThatThrownBy(() -> e.cellOf(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    // counting (short edge lists) and bisection agree everywhere, edges and infinities included
    java.util.Random rnd = new java.util.Random(2);
    for (int n : new int[] {2, 3, 21, BinEdges.COUNTING_EDGES, BinEdges.COUNTING_EDGES + 1, 200}) {
      double[] edges = rnd.doubles(n).map(x -> x * 10 - 5).sorted().distinct().toArray();
      if (edges.length < 2) {
        continue;
      }
      agreesWithBisection(new BinEdges(edges), rnd);
    }
    // equally spaced edges as training makes them (min + (max - min) * i / bins, rounding and all):
    // the bin is computed, then checked against its edges — the same cells as bisection
    for (double[] range : new double[][] {{0, 1}, {-3.7, 12.9}, {0.2, 0.2 + 1e-9}, {1e12, 1e12 + 3},
        {-1e-300, 1e-300}, {5, 5 + 1e-9 + 5e-9}}) {
      for (int bins : new int[] {1, 2, 7, 20, 64}) {
        double[] edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) {
          edges[i] = i == bins ? range[1] : range[0] + (range[1] - range[0]) * i / bins;
        }
        agreesWithBisection(new BinEdges(edges), rnd);
      }
    }
    // Java serialisation (Flink ships references in closures) keeps the computed path
    BinEdges copy = org.apache.commons.lang3.SerializationUtils.roundtrip(new BinEdges(new double[] {0, 0.5, 1, 1.5}));
    agreesWithBisection(copy, rnd);
    assertThat(copy.cellOf(0.75)).isEqualTo(2);
    assertThatThrownBy(() -> new BinEdges(new double[] {0, 0})).hasMessageContaining("increasing");
  }

  private static void agreesWithBisection(BinEdges be, java.util.Random rnd) {
    java.util.List<Double> probes = new java.util.ArrayList<>(java.util.List.of(Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY, -0.0, 0.0, Double.MAX_VALUE, -Double.MAX_VALUE));
    double low = be.low();
    double span = be.high() - low;
    for (int i = 0; i <= be.bins(); i++) {
      double edge = be.edge(i);
      probes.add(edge);
      probes.add(Math.nextUp(edge));
      probes.add(Math.nextDown(edge));
    }
    rnd.doubles(2000).map(x -> x * 14 - 7).forEach(probes::add);
    rnd.doubles(2000).map(x -> low + (x * 1.4 - 0.2) * span).forEach(probes::add);
    for (double v : probes) {
      assertThat(be.cellOf(v)).as("value %s over %d edges", v, be.bins() + 1).isEqualTo(be.bisect(v));
    }
  }

  @Test
  void histogramsMergeToTheHistogramOfAllValues() {
    BinEdges e = new BinEdges(new double[] {0, 1, 2, 3});
    Histogram a = new Histogram(e);
    Histogram b = new Histogram(e);
    Histogram all = new Histogram(e);
    double[] values = {-2, 0.5, 1.5, 2.5, 4, 6, 1.1};
    for (int i = 0; i < values.length; i++) {
      (i % 2 == 0 ? a : b).add(values[i]);
      all.add(values[i]);
    }
    a.merge(b);
    assertThat(a.counts()).containsExactly(all.counts());
    assertThat(a.counts()).containsExactly(1, 1, 2, 1, 2);
    assertThat(a.belowMean()).isEqualTo(-2);
    assertThat(a.aboveMean()).isEqualTo(5);
  }

  @Test
  void psiMatchesHandComputedValue() {
    // 0.25 ln 2 + (-0.25) ln(2/3)
    assertThat(DriftStatistics.psi(new double[] {0.5, 0.5}, new double[] {0.25, 0.75}, 1e-4))
        .isCloseTo(0.274653, within(1e-6));
    assertThat(DriftStatistics.psi(new double[] {0.3, 0.7}, new double[] {0.3, 0.7}, 1e-4)).isZero();
  }

  @Test
  void psiFloorsEmptyCellsAtEpsilon() {
    // (1 - 0.5) ln(1/0.5) + (1e-4 - 0.5) ln(1e-4/0.5)
    assertThat(DriftStatistics.psi(new double[] {1, 0}, new double[] {0.5, 0.5}, 1e-4))
        .isCloseTo(4.604319, within(1e-5));
  }

  @Test
  void jensenShannonIsInBitsBetweenZeroAndOne() {
    assertThat(DriftStatistics.jensenShannon(new double[] {1, 0}, new double[] {0, 1})).isCloseTo(1, within(1e-12));
    assertThat(DriftStatistics.jensenShannon(new double[] {0.5, 0.5}, new double[] {0.25, 0.75}))
        .isCloseTo(0.048795, within(1e-5));
    assertThat(DriftStatistics.jensenShannon(new double[] {0.2, 0.8}, new double[] {0.2, 0.8})).isZero();
  }

  @Test
  void ksIsTheLargestGapBetweenBinnedCdfs() {
    assertThat(DriftStatistics.ks(new double[] {0.5, 0.5, 0}, new double[] {0.25, 0.5, 0.25}))
        .isCloseTo(0.25, within(1e-12));
    assertThat(DriftStatistics.ks(new double[] {1, 0}, new double[] {0, 1})).isEqualTo(1);
  }

  @Test
  void wassersteinIsTheMassTimesTheDistanceMoved() {
    assertThat(DriftStatistics.wasserstein(new double[] {1}, new double[] {0}, new double[] {1}, new double[] {3}))
        .isCloseTo(3, within(1e-12));
    assertThat(DriftStatistics.wasserstein(new double[] {0.5, 0.5}, new double[] {0, 1},
        new double[] {1}, new double[] {1})).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void compareScalesWassersteinByTheReferenceStdAndUsesOutOfRangeMeans() {
    BinEdges e = new BinEdges(new double[] {0, 1, 2});
    Histogram ref = Histogram.of(e, new long[] {0, 1, 1, 0}, 0, 0); // mass at 0.5 and 1.5
    Histogram live = new Histogram(e);
    live.add(5.5);
    live.add(6.5); // both over the edges: at their mean 6
    DriftStatistics.Distances d = DriftStatistics.compare(live, ref, 1e-4, 2.0);
    // W = 0.5 * (6 - 0.5) + 0.5 * (6 - 1.5) = 5, divided by the scale 2
    assertThat(d.wasserstein()).isCloseTo(2.5, within(1e-12));
    assertThat(d.ks()).isCloseTo(1, within(1e-12));
    assertThat(d.jensenShannon()).isCloseTo(1, within(1e-12));
    assertThat(d.psi()).isGreaterThan(8);
  }

  @Test
  void preparedReferenceGivesTheValuesOfCompare() {
    Random rnd = new Random(11);
    for (int round = 0; round < 300; round++) {
      int bins = 2 + rnd.nextInt(20);
      double[] edges = new double[bins + 1];
      for (int i = 0; i <= bins; i++) {
        edges[i] = i + (i > 0 && rnd.nextBoolean() ? 0.5 : 0) + (i > 0 ? edges[i - 1] : 0);
      }
      BinEdges e = new BinEdges(edges);
      long[] refCounts = new long[e.cells()];
      long[] liveCounts = new long[e.cells() + 3]; // at an offset, as in a window's flat counts
      boolean large = round % 3 == 0; // counts beyond the logarithm table, shares under epsilon
      for (int i = 0; i < e.cells(); i++) {
        refCounts[i] = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(1000);
        liveCounts[2 + i] = rnd.nextInt(3) == 0 ? (large ? (rnd.nextBoolean() ? 1 : rnd.nextInt(40_000)) : rnd.nextInt(20)) : 0;
      }
      double below = liveCounts[2] * (edges[0] - rnd.nextDouble());
      double above = liveCounts[2 + bins + 1] * (edges[bins] + rnd.nextDouble());
      // the reference's own out-of-range values away from the edges in half the rounds
      boolean spread = rnd.nextBoolean();
      Histogram ref = Histogram.of(e, refCounts, spread ? refCounts[0] * (edges[0] - 2 * rnd.nextDouble()) : 0,
          spread ? refCounts[bins + 1] * (edges[bins] + 2 * rnd.nextDouble()) : 0);
      Histogram live = Histogram.of(e, Arrays.copyOfRange(liveCounts, 2, 2 + e.cells()), below, above);
      double scale = round % 5 == 0 ? 0 : 0.5 + rnd.nextDouble();
      DriftStatistics.Prepared prepared = new DriftStatistics.Prepared(ref, 1e-4);
      DriftStatistics.Distances fast = prepared.compare(liveCounts, 2, below, above, scale);
      DriftStatistics.Distances plain = DriftStatistics.compare(live, ref, 1e-4, scale);
      // the same quantities summed in another order (logarithms of quotients as differences)
      assertThat(fast.psi()).as("psi").isCloseTo(plain.psi(), within(1e-12 * (1 + Math.abs(plain.psi()))));
      assertThat(fast.jensenShannon()).as("js").isCloseTo(plain.jensenShannon(), within(1e-12));
      assertThat(fast.ks()).as("ks").isCloseTo(plain.ks(), within(1e-12));
      assertThat(fast.wasserstein()).as("w").isCloseTo(plain.wasserstein(),
          within(1e-12 * (1 + Math.abs(plain.wasserstein()))));
    }
  }

  @Test
  void driftDecisionUsesTheConfiguredThresholds() {
    DriftPolicy p = DriftPolicy.defaults();
    assertThat(p.drifted(new DriftStatistics.Distances(0.21, 0, 0, 0))).isTrue();
    assertThat(p.drifted(new DriftStatistics.Distances(0.19, 0.9, 0.9, 9))).isFalse();
    DriftPolicy ks = new DriftPolicy(20, 0, 0, 0.3, 0, 1e-4, 500, 0.5, 12, 0.02,
        DriftPolicy.Statistic.DRIFTED_SHARE, 2.0, 2, 3, 1, 5);
    assertThat(ks.drifted(new DriftStatistics.Distances(5, 0, 0.31, 0))).isTrue();
    assertThatThrownBy(() -> new DriftPolicy(20, 0, 0, 0, 0, 1e-4, 500, 0.5, 12, 0.02,
        DriftPolicy.Statistic.DRIFTED_SHARE, 2.0, 2, 3, 1, 5)).hasMessageContaining("at least one");
  }

  @Test
  void hysteresisRaisesAfterKDriftedAndClearsAfterMCleanWindows() {
    HysteresisAlarm a = new HysteresisAlarm();
    assertThat(a.update(true, 2, 3)).isEqualTo(HysteresisAlarm.Transition.NONE);
    assertThat(a.update(false, 2, 3)).isEqualTo(HysteresisAlarm.Transition.NONE); // run broken
    assertThat(a.update(true, 2, 3)).isEqualTo(HysteresisAlarm.Transition.NONE);
    assertThat(a.update(true, 2, 3)).isEqualTo(HysteresisAlarm.Transition.RAISED);
    assertThat(a.update(false, 2, 3)).isEqualTo(HysteresisAlarm.Transition.NONE);
    assertThat(a.update(false, 2, 3)).isEqualTo(HysteresisAlarm.Transition.NONE);
    assertThat(a.raised).isTrue();
    assertThat(a.update(true, 2, 3)).isEqualTo(HysteresisAlarm.Transition.NONE); // clean run broken
    assertThat(a.update(false, 2, 3)).isEqualTo(HysteresisAlarm.Transition.NONE);
    assertThat(a.update(false, 2, 3)).isEqualTo(HysteresisAlarm.Transition.NONE);
    assertThat(a.update(false, 2, 3)).isEqualTo(HysteresisAlarm.Transition.CLEARED);
    assertThat(a.raised).isFalse();
  }

  @Test
  void cbpeSumsProbabilitiesIntoExpectedConfusionCounts() {
    PerformanceEstimate.Expected e = new PerformanceEstimate.Expected();
    e.add(0.9, true);
    e.add(0.6, true);
    e.add(0.2, false);
    e.add(0.1, false);
    e.add(Double.NaN, true); // no probability: not counted
    // E[TP] = 1.5, E[FP] = 0.5, E[FN] = 0.3
    PerformanceEstimate p = e.estimate();
    assertThat(p.precision()).isCloseTo(0.75, within(1e-12));
    assertThat(p.recall()).isCloseTo(1.5 / 1.8, within(1e-12));
    assertThat(p.f1()).isCloseTo(3.0 / 3.8, within(1e-12));
    assertThat(new PerformanceEstimate.Expected().estimate()).isEqualTo(PerformanceEstimate.NONE);
    // realised from labels: TP 2, FP 1, FN 1
    PerformanceEstimate r = PerformanceEstimate.of(2, 1, 1, 4);
    assertThat(r.f1()).isCloseTo(4.0 / 6.0, within(1e-12));
    assertThat(PerformanceEstimate.of(0, 0, 0, 5).f1()).isNull();
  }
}
