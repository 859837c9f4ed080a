package io.vigil.drift.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The ARL-derived threshold and the detector's false-alarm rate on stationary data. */
class CusumTest {

  @Test
  void siegmundApproximationMatchesKnownValues() {
    // k = 0.5: h = 4 -> ~336 (exact 336), h = 5 -> ~930 (exact 930)
    assertThat(Cusum.arl(0.5, 4)).isCloseTo(338, within(3.0));
    assertThat(Cusum.arl(0.5, 5)).isCloseTo(935, within(10.0));
    assertThat(Cusum.thresholdFor(0.5, Cusum.arl(0.5, 4.2))).isCloseTo(4.2, within(1e-6));
  }

  @Test
  void runLengthOnStandardNormalDataMatchesTheConfiguredArl0() {
    double k = 0.5;
    double arl0 = 200;
    double h = Cusum.thresholdFor(k, arl0);
    Random rnd = new Random(7);
    long windows = 0;
    int signals = 0;
    for (int run = 0; run < 400; run++) {
      double s = 0;
      long t = 0;
      while (true) {
        t++;
        s = Math.max(0, s + rnd.nextGaussian() - k); // uncapped, restarted after each signal
        if (s > h) {
          break;
        }
      }
      windows += t;
      signals++;
    }
    double meanRunLength = (double) windows / signals;
    assertThat(meanRunLength).isBetween(0.85 * arl0, 1.2 * arl0);
  }

  /** Windows of fresh samples from the reference distribution itself: no drift at all. */
  @Test
  void falseAlarmsOnStationarySyntheticWindowsAreAboutOnePerArl0OrFewer() {
    for (DriftPolicy.Statistic stat : DriftPolicy.Statistic.values()) {
      double arl0 = 100;
      DriftPolicy policy = new DriftPolicy(20, 0.2, 0, 0, 0, 1e-4, arl0, 0.5, 200, 0.01, stat, 2.0, 2, 3, 1, 5);
      Synthetic syn = new Synthetic(30, 20, 60, 11);
      DriftMonitor monitor = new DriftMonitor(policy);
      MonitorState state = new MonitorState();
      int windows = 5000;
      int raised = 0;
      for (int w = 0; w < policy.warmupWindows() + windows; w++) {
        DriftMonitor.Decision d = syn.window(monitor, state, 0);
        if (!d.warmingUp() && d.transition() == HysteresisAlarm.Transition.RAISED) {
          raised++;
        }
      }
      // expected ~ windows / ARL0 = 50 onsets; allow for the baseline's estimation error
      assertThat(raised).as("false alarms with %s", stat).isLessThanOrEqualTo((int) (1.5 * windows / arl0));
    }
  }

  @Test
  void aShiftInAFewFeaturesIsDetectedWithinAFewWindowsAndNamed() {
    DriftPolicy policy = new DriftPolicy(20, 0.2, 0, 0, 0, 1e-4, 500, 0.5, 20, 0.02,
        DriftPolicy.Statistic.RISEN_SHARE, 2.0, 2, 3, 1, 3);
    Synthetic syn = new Synthetic(30, 20, 60, 5);
    DriftMonitor monitor = new DriftMonitor(policy);
    MonitorState state = new MonitorState();
    for (int w = 0; w < 40; w++) {
      assertThat(syn.window(monitor, state, 0).alarm()).isFalse();
    }
    int delay = -1;
    DriftMonitor.Decision d = null;
    for (int w = 0; w < 20 && delay < 0; w++) {
      d = syn.window(monitor, state, 3); // metrics m0..m2 shifted by 5 std
      if (d.alarm()) {
        delay = w + 1;
      }
    }
    assertThat(delay).isBetween(1, 5);
    assertThat(d.metrics()).containsExactlyInAnyOrder("m0", "m1", "m2");
    assertThat(d.reason()).contains("m0").contains("drift alarm raised");
    int clear = -1;
    for (int w = 0; w < 30 && clear < 0; w++) {
      if (!syn.window(monitor, state, 0).alarm()) {
        clear = w + 1;
      }
    }
    assertThat(clear).isBetween(3, 15);
  }

  /** N(0,1) features, two per metric; windows of n fresh samples, the first shifted metrics +5 std. */
  static final class Synthetic {
    final int features;
    final int n;
    final Random rnd;
    final BinEdges edges;
    final Histogram reference;
    final List<String> names = new ArrayList<>();

    Synthetic(int features, int bins, int n, long seed) {
      this.features = features;
      this.n = n;
      this.rnd = new Random(seed);
      double[] e = new double[bins + 1];
      for (int i = 0; i <= bins; i++) {
        e[i] = -4 + 8.0 * i / bins;
      }
      edges = new BinEdges(e);
      reference = new Histogram(edges);
      for (int i = 0; i < 50_000; i++) {
        reference.add(Math.max(-4, Math.min(4, rnd.nextGaussian())));
      }
      for (int i = 0; i < features; i++) {
        names.add("m" + (i / 2) + (i % 2 == 0 ? ".last" : ".w10.mean"));
      }
    }

    DriftMonitor.Decision window(DriftMonitor monitor, MonitorState state, int shiftedMetrics) {
      double[] psi = new double[features];
      boolean[] drifted = new boolean[features];
      for (int f = 0; f < features; f++) {
        Histogram live = new Histogram(edges);
        double shift = f / 2 < shiftedMetrics ? 5 : 0;
        for (int i = 0; i < n; i++) {
          live.add(rnd.nextGaussian() + shift);
        }
        psi[f] = DriftStatistics.psi(DriftStatistics.shares(live.counts()),
            DriftStatistics.shares(reference.counts()), 1e-4);
        drifted[f] = psi[f] > 0.2 * 3; // n = 60: sampling noise alone puts PSI near (cells - 1) / n
      }
      return monitor.assess(state, psi, drifted, names, s -> s.substring(0, s.indexOf('.')));
    }
  }
}
