package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.features.FeatureSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Partial windows from parallel subtasks merge into exactly the window of all samples. */
class WindowAccumulatorTest {

  @Test
  void mergedPartialWindowsEqualTheWholeWindow() {
    List<String> names = List.of("a.last", "b.last", "summary.max_abs_z");
    Random rnd = new Random(3);
    List<ReferenceProfile.Hist> hs = new ArrayList<>();
    for (String n : names) {
      double[] v = rnd.doubles(500).toArray();
      hs.add(ReferenceProfile.Hist.of(n, v, 10));
    }
    ReferenceProfile p = new ReferenceProfile(1, "fs", "snap", 500, hs,
        ReferenceProfile.Hist.of("score", rnd.doubles(500).toArray(), 10));
    ReferenceModel ref = ReferenceModel.of("m", "1", p, names, new FeatureMetrics(List.of("a", "b")));
    assertThat(ref.metrics()).containsExactly("a", "b", "summary");
    WindowAccumulator all = new WindowAccumulator();
    WindowAccumulator left = new WindowAccumulator();
    WindowAccumulator right = new WindowAccumulator();
    WindowAccumulator direct = new WindowAccumulator();
    for (int i = 0; i < 200; i++) {
      float[] x = {(float) rnd.nextGaussian(), (float) (rnd.nextDouble() * 3 - 1), (float) rnd.nextDouble()};
      double score = rnd.nextDouble() * 2;
      double prob = rnd.nextDouble();
      // the sample binned by hand against the reference's edges: features in profile order (the
      // vector's columns here), then the score
      int[] cells = new int[4];
      byte[] side = new byte[4];
      double[] values = {x[0], x[1], x[2], score};
      for (int k = 0; k < 4; k++) {
        int c = ref.edges(k).cellOf(values[k]);
        cells[k] = ref.offset(k) + c;
        side[k] = (byte) (c == 0 ? -1 : c == ref.edges(k).cells() - 1 ? 1 : 0);
      }
      BinnedSamples.add(all, cells, side, values, ref.totalCells(), prob, prob > 0.5);
      ref.addTo(i % 3 == 0 ? left : right, x, score, prob, prob > 0.5);
      ref.addTo(direct, x, score, prob, prob > 0.5);
    }
    left.merge(right);
    // the drift job's binning gives the window binned by hand
    assertThat(direct.samples).isEqualTo(200);
    assertThat(direct.flagged).isEqualTo(all.flagged);
    assertThat(direct.counts).containsExactly(all.counts);
    assertThat(direct.below).containsExactly(all.below);
    assertThat(direct.above).containsExactly(all.above);
    assertThat(left.samples).isEqualTo(200);
    assertThat(left.counts).containsExactly(all.counts);
    assertThat(left.below).containsExactly(all.below, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(left.above).containsExactly(all.above, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(left.expected.estimate().f1()).isCloseTo(all.expected.estimate().f1(),
        org.assertj.core.api.Assertions.within(1e-12));
    assertThat(FeatureSet.smdDefault().featureNames()).hasSize(307);
  }
}
