package io.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricAttributionsTest {

  @Test
  void featureSharesSumPerRawMetricByTheLongestMetricNameAndTheSummaryBelongsToNone() {
    MetricAttributions a = new MetricAttributions(List.of("cpu", "cpu_r"),
        List.of("cpu.last", "cpu_r.last", "cpu_r.w10.mean", "summary.max_abs_z"));
    float[] perMetric = a.perMetric(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 0, 4);
    assertThat(perMetric[0]).isCloseTo(0.1f, within(1e-6f));
    assertThat(perMetric[1]).isCloseTo(0.5f, within(1e-6f));
    assertThat(a.ranked(perMetric)).containsExactly("cpu_r", "cpu");
    assertThat(a.top(perMetric, 10).keySet()).containsExactly("cpu_r", "cpu");
  }

  @Test
  void rowsOfABatchNonFiniteSharesAndTiesInDeclaredOrder() {
    MetricAttributions a = new MetricAttributions(List.of("mem", "cpu", "disk"),
        List.of("mem.last", "cpu.last", "disk.last"));
    float[] batch = {9f, 9f, 9f, 0.2f, Float.NaN, 0.2f};
    float[] second = a.perMetric(batch, 1, 3);
    assertThat(second).containsExactly(0.2f, 0f, 0.2f);
    assertThat(a.ranked(second)).containsExactly("mem", "disk", "cpu");
    assertThatThrownBy(() -> a.perMetric(batch, 0, 2)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFeatureSetsOwnFoldAndOneFromNamesAlone() {
    FeatureSet set = FeatureSet.standard("t", List.of("cpu", "cpu_r", "mem"));
    MetricAttributions ofSet = MetricAttributions.of(set);
    MetricAttributions ofNames = MetricAttributions.fromNames(set.featureNames());
    assertThat(ofNames.metrics()).containsExactly("cpu", "cpu_r", "mem");
    float[] shares = new float[set.featureNames().size()];
    for (int i = 0; i < shares.length; i++) {
      shares[i] = (i % 7) / 10f;
    }
    assertThat(ofNames.perMetric(shares, 0, shares.length)).containsExactly(ofSet.perMetric(shares, 0, shares.length));
  }
}
