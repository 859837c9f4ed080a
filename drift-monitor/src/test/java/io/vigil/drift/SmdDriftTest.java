package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.drift.stats.DriftPolicy;
import io.vigil.drift.stats.MonitorState;
import io.vigil.schemas.FeatureVector;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The statistics core over real SMD rows without Flink: one machine's test rows in one-hour
 * windows against the reference profile of its training rows, with and without a +5 std shift of
 * three metrics.
 */
class SmdDriftTest {

  static final String MACHINE = System.getProperty("vigil.test.machine", "machine-1-2");
  static final List<String> SHIFTED = List.of("cpu_r", "mem_u", "tcp_use");
  /** 44 one-hour windows; the hours after row 2640 of machine-1-2's test half hold a real change in
   *  disk_q and eth1_* that the detector rightly flags, so the replay stops before them. */
  static final int ROWS = 2640;
  static final int SHIFT_FROM = 1800;
  static final int WINDOW = 60;

  static final DriftPolicy POLICY = policy();

  static DriftPolicy policy() {
    DriftPolicy d = DriftPolicy.defaults();
    DriftPolicy.Statistic st = DriftPolicy.Statistic.valueOf(System.getProperty("vigil.test.statistic", d.statistic().name()));
    return new DriftPolicy(d.bins(), d.psiThreshold(), d.jsThreshold(), d.ksThreshold(), d.wassersteinThreshold(),
        d.epsilon(), d.expectedRunLength(), d.cusumK(), d.warmupWindows(), d.minStd(), st, d.riseFactor(), d.raiseAfter(),
        d.clearAfter(), d.alarmShare(), d.alarmTopMetrics());
  }

  static SmdReplay replay;
  static ReferenceProfile profile;

  @BeforeAll
  static void load() {
    replay = new SmdReplay(MACHINE, ROWS);
    profile = replay.profile();
  }

  static Set<Integer> shiftedColumns() {
    return SHIFTED.stream().map(SmdReplay.SET.metrics()::indexOf).collect(Collectors.toSet());
  }

  /** Window index (from 0) of the first alarm, or -1; collects each window's decision. */
  static int run(boolean shift, List<WindowEvaluator.Assessment> out) {
    List<double[]> f = SmdReplay.features(replay.testRows, replay.trainStd, shift ? shiftedColumns() : Set.of(),
        SHIFT_FROM, 5);
    List<FeatureVector> vectors = replay.vectors(f);
    ReferenceModel ref = ReferenceModel.of("m", "1", profile, SmdReplay.SET.featureNames(),
        new FeatureMetrics(SmdReplay.SET.metrics()));
    WindowEvaluator eval = new WindowEvaluator(POLICY);
    MonitorState state = new MonitorState();
    int first = -1;
    for (int w = 0; w * WINDOW < vectors.size(); w++) {
      WindowAccumulator acc = new WindowAccumulator();
      for (int i = w * WINDOW; i < Math.min(vectors.size(), (w + 1) * WINDOW); i++) {
        double s = replay.score(f.get(i));
        ref.addTo(acc, FeatureValues.narrow(f.get(i)), s, SmdReplay.probability(s, replay.threshold), s > replay.threshold);
      }
      WindowEvaluator.Assessment a = eval.assess(ref, acc, state);
      out.add(a);
      if (a.decision().alarm() && first < 0) {
        first = w;
      }
      if (Boolean.getBoolean("vigil.test.debug") && (w == 25 || w == 35)) {
        for (WindowEvaluator.FeatureResult r : a.features()) {
          if (SHIFTED.contains(r.metric())) {
            System.out.printf(Locale.ROOT, "  %s %s psi %.3f%n", shift, r.feature(), r.distances().psi());
          }
        }
      }
      if (Boolean.getBoolean("vigil.test.debug")) {
        System.out.printf(Locale.ROOT, "%s w%02d share %.3f z %6.2f cusum %5.2f alarm %s %s%n", shift ? "shift" : "plain",
          w, a.driftedShare(), a.decision().z(), a.decision().cusum(), a.decision().alarm(), a.decision().metrics());
      }
    }
    return first;
  }

  @Test
  void aShiftOfThreeMetricsRaisesAnAlarmWithinAFewWindowsNamingThem() {
    List<WindowEvaluator.Assessment> windows = new ArrayList<>();
    int first = run(true, windows);
    int shiftWindow = SHIFT_FROM / WINDOW;
    assertThat(first).isBetween(shiftWindow, shiftWindow + 5);
    // the alarm names only shifted metrics, and all three within three more windows
    for (int w = first; w < windows.size(); w++) {
      assertThat(windows.get(w).decision().alarm()).isTrue();
      assertThat(SHIFTED).containsAll(windows.get(w).decision().metrics());
    }
    assertThat(windows.get(first).decision().metrics()).isNotEmpty();
    assertThat(windows.get(first + 3).decision().metrics()).containsExactlyInAnyOrderElementsOf(SHIFTED);
    assertThat(windows.get(first + 3).decision().reason()).contains("cpu_r", "mem_u", "tcp_use");
  }

  @Test
  void theSameReplayWithoutAShiftRaisesNoAlarm() {
    List<WindowEvaluator.Assessment> windows = new ArrayList<>();
    assertThat(run(false, windows)).isEqualTo(-1);
    assertThat(windows).allSatisfy(a -> assertThat(a.estimate().f1()).isNotNull());
  }
}
