package io.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureEngineTest {

  private static final List<Aggregation> ALL = List.of(Aggregation.values());

  /** Brute force over the explicit list of (time, value) samples: the oracle. */
  private static double[] oracle(List<long[]> times, List<double[]> xs, int metric, long now,
      WindowSpec w) {
    List<Integer> cur = new ArrayList<>();
    List<Integer> prev = new ArrayList<>();
    long d = w.duration() == null ? Long.MAX_VALUE : w.duration().toMillis();
    int cap = w.samples() != null ? w.samples() : w.maxSamples();
    for (int i = times.size() - 1; i >= 0; i--) {
      long t = times.get(i)[0];
      if (cur.size() < cap && (d == Long.MAX_VALUE || t > now - d)) {
        cur.add(0, i);
      } else if (prev.size() < cap && (d == Long.MAX_VALUE || t > now - 2 * d)) {
        prev.add(0, i);
      } else {
        break;
      }
    }
    double n = cur.size();
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (int i : cur) {
      double v = xs.get(i)[metric];
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    double mean = sum / n;
    double var = 0;
    for (int i : cur) {
      var += Math.pow(xs.get(i)[metric] - mean, 2);
    }
    double std = Math.sqrt(var / n);
    double slope = 0;
    if (cur.size() > 1) {
      double mx = 0;
      for (int i : cur) {
        mx += (times.get(i)[0] - times.get(0)[0]) / 1000.0;
      }
      mx /= n;
      double num = 0;
      double den = 0;
      for (int i : cur) {
        double dx = (times.get(i)[0] - times.get(0)[0]) / 1000.0 - mx;
        num += dx * (xs.get(i)[metric] - mean);
        den += dx * dx;
      }
      slope = den == 0 ? 0 : num / den;
    }
    double delta = 0;
    if (!prev.isEmpty()) {
      double ps = 0;
      for (int i : prev) {
        ps += xs.get(i)[metric];
      }
      delta = mean - ps / prev.size();
    }
    return new double[] {mean, std, min, max, slope, delta};
  }

  private static void checkAgainstOracle(WindowSpec window, long step, long jitter, double scale, double offset) {
    FeatureSet fs = new FeatureSet("t", List.of("a", "b"), List.of(window), ALL, null, 0.01, false);
    FeatureEngine engine = new FeatureEngine(fs);
    EntityState st = engine.newState();
    Random rnd = new Random(42);
    List<long[]> times = new ArrayList<>();
    List<double[]> xs = new ArrayList<>();
    long t = 1_700_000_000_000L;
    for (int n = 0; n < 500; n++) {
      t += step + (jitter > 0 ? rnd.nextInt((int) jitter) : 0);
      double[] x = {offset + scale * rnd.nextGaussian(), n % 7 == 0 ? 5.0 : rnd.nextDouble()};
      times.add(new long[] {t});
      xs.add(x);
      double[] f = engine.update(st, t, x);
      for (int m = 0; m < 2; m++) {
        double[] expected = oracle(times, xs, m, t, window);
        int base = m * (1 + ALL.size());
        assertThat(f[base]).isEqualTo(x[m]);
        for (int a = 0; a < ALL.size(); a++) {
          double tol = 1e-7 * (Math.abs(expected[a]) + scale + Math.abs(offset) * 1e-3);
          assertThat(f[base + 1 + a]).as("sample %d metric %d %s", n, m, ALL.get(a))
              .isCloseTo(expected[a], within(tol));
        }
      }
    }
  }

  @Test
  void countWindowMatchesBruteForceAtEverySampleIncludingTheFirstAndTheEdges() {
    checkAgainstOracle(WindowSpec.ofSamples("w10", 10), 60_000, 0, 1.0, 0);
    checkAgainstOracle(WindowSpec.ofSamples("w1", 1), 60_000, 0, 1.0, 0);
  }

  @Test
  void timeWindowMatchesBruteForceWithIrregularSpacing() {
    checkAgainstOracle(WindowSpec.ofDuration("t5m", Duration.ofMinutes(5), 50), 20_000, 40_000, 1.0, 0);
    checkAgainstOracle(WindowSpec.ofDuration("t1m", Duration.ofMinutes(1), 3), 10_000, 5_000, 1.0, 0);
  }

  @Test
  void staysAccurateForLargeRawMagnitudes() {
    checkAgainstOracle(WindowSpec.ofSamples("w20", 20), 300_000, 0, 1000.0, 3e8);
  }

  @Test
  void ewmaZScoreIsTheResidualAgainstThePastOnly() {
    FeatureSet fs = new FeatureSet("t", List.of("a"), List.of(), List.of(), 0.5, 0.01, true);
    FeatureEngine e = new FeatureEngine(fs);
    EntityState s = e.newState();
    assertThat(e.update(s, 1, new double[] {1.0})).containsExactly(1.0, 0.0, 0.0, 0.0, 0.0);
    // mean 1, var 0 -> floor 0.01: z = (3 - 1) / 0.01, clipped at 1000
    double[] f = e.update(s, 2, new double[] {3.0});
    assertThat(f[1]).isEqualTo(200.0);
    assertThat(f[2]).isEqualTo(200.0);
    assertThat(f[4]).isEqualTo(1.0);
    // now mean = 2, var = 0.5 * (0 + 0.5 * 4) = 1: z = (2 - 2) / 1 = 0
    assertThat(e.update(s, 3, new double[] {2.0})[1]).isEqualTo(0.0);
  }

  @Test
  void sameSamplesGiveBitIdenticalFeatures() {
    FeatureSet fs = FeatureSet.standard("t", List.of("a", "b", "c"));
    FeatureEngine e = new FeatureEngine(fs);
    EntityState s1 = e.newState();
    EntityState s2 = e.newState();
    Random r = new Random(7);
    for (int i = 0; i < 1000; i++) {
      double[] x = {r.nextDouble(), r.nextGaussian(), r.nextInt(3)};
      assertThat(e.update(s1, i * 1000L, x)).containsExactly(e.update(s2, i * 1000L, x.clone()));
    }
    assertThat(e.width()).isEqualTo(fs.featureNames().size());
  }

  /**
   * SHA-256 over the raw bits of every feature of a fixed random run through count and time windows
   * of every shape (short, long, irregular spacing, gaps longer than a window), EWMA and summary.
   * Optimising the engine must not move a single bit: vectors already written, models trained on
   * them and the offline/online parity all depend on it.
   */
  static String digestOfAFixedRun() throws Exception {
    FeatureSet fs = new FeatureSet("golden", List.of("a", "b", "c"),
        List.of(WindowSpec.ofSamples("w1", 1), WindowSpec.ofSamples("w10", 10),
            WindowSpec.ofDuration("t5m", Duration.ofMinutes(5), 7), WindowSpec.ofDuration("t1h", Duration.ofHours(1), 64)),
        ALL, 0.05, 0.01, true);
    FeatureEngine e = new FeatureEngine(fs);
    EntityState s = e.newState();
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    Random r = new Random(2024);
    long t = 1_700_000_000_000L;
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8);
    for (int n = 0; n < 5000; n++) {
      t += r.nextInt(10) == 0 ? 600_000 + r.nextInt(3_600_000) : 1 + r.nextInt(90_000);
      double[] x = {r.nextGaussian() * 1e3 + 5e8, r.nextInt(4), r.nextDouble() < 0.1 ? -r.nextDouble() : r.nextDouble()};
      double[] f = e.update(s, t, x);
      for (double v : f) {
        md.update(buf.clear().putLong(Double.doubleToRawLongBits(v)).array());
      }
      md.update(buf.clear().putLong(e.windowStart(s)).array());
    }
    return java.util.HexFormat.of().formatHex(md.digest());
  }

  @Test
  void featuresAreBitIdenticalToThoseOfTheFirstRelease() throws Exception {
    assertThat(digestOfAFixedRun()).isEqualTo("6d0e545c6c9c315fc500cbd5f50a631e5e77c8b7446f878d4af18e724aa5d337");
  }

  @Test
  void refusesSamplesOutOfOrderOrNotFinite() {
    FeatureEngine e = new FeatureEngine(FeatureSet.standard("t", List.of("a")));
    EntityState s = e.newState();
    e.update(s, 10, new double[] {1});
    assertThatThrownBy(() -> e.update(s, 10, new double[] {1})).hasMessageContaining("not after");
    assertThatThrownBy(() -> e.update(s, 11, new double[] {Double.NaN})).hasMessageContaining("not finite");
  }

  @Test
  void declarationsAreValidatedWithClearErrors(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> WindowSpec.ofSamples("w0", 0)).hasMessageContaining("empty");
    assertThatThrownBy(() -> new FeatureSet("x", List.of(), List.of(), List.of(), null, 0.01, false))
        .hasMessageContaining("no metrics");
    assertThatThrownBy(() -> FeatureSet.standard("x", List.of("a")).requireMetrics(List.of("b"), "the data"))
        .hasMessageContaining("[a]");
    Path f = dir.resolve("fs.yaml");
    Files.writeString(f, "id: x\nmetrics: [a]\nwindows:\n- name: w5\n  samples: 0\naggregations: [MEAN]\nzFloor: 0.01\nsummary: false\n");
    assertThatThrownBy(() -> FeatureSet.load(f)).hasMessageContaining("w5 is empty");
    Files.writeString(f, "id: x\nmetrics: [a]\nwindowz: []\nzFloor: 0.01\nsummary: false\n");
    assertThatThrownBy(() -> FeatureSet.load(f)).hasMessageContaining("windowz");
  }

  @Test
  void fingerprintFollowsTheDeclaration() {
    FeatureSet a = FeatureSet.standard("t", List.of("a", "b"));
    assertThat(a.version()).isEqualTo(FeatureSet.standard("t", List.of("a", "b")).version()).startsWith("fs-");
    assertThat(a.version()).isNotEqualTo(FeatureSet.standard("t", List.of("b", "a")).version());
    FeatureSet smd = FeatureSet.smdDefault();
    assertThat(smd.metrics()).hasSize(38);
    assertThat(smd.featureNames()).hasSize(38 * 8 + 3).startsWith("cpu_r.last", "cpu_r.w10.mean");
  }
}
