package io.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.training.watch.WatchConfig;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The retraining rules shared by the watcher's settings and the evaluation. */
class RetrainingTest {

  private static final WatchConfig.Triggers TRIGGERS = new WatchConfig.Triggers(5, true, 0, 600, 1000);

  @Test
  void labelTriggerWaitsForTheMinimumGapAndStaysPending() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    assertThat(Retraining.due(TRIGGERS, 4, false, false, null, t0)).isNull();
    assertThat(Retraining.due(TRIGGERS, 5, false, false, null, t0)).isEqualTo("labels");
    // 5 new labels again, but only 599 s after the last start: pending
    assertThat(Retraining.due(TRIGGERS, 5, false, false, t0, t0.plusSeconds(599))).isNull();
    assertThat(Retraining.due(TRIGGERS, 5, false, false, t0, t0.plusSeconds(600))).isEqualTo("labels");
    assertThat(Retraining.due(TRIGGERS, 0, true, false, t0, t0.plusSeconds(900))).isEqualTo("drift");
    assertThat(Retraining.due(TRIGGERS, 0, true, true, t0, t0.plusSeconds(900))).isEqualTo("manual");
    WatchConfig.Triggers scheduled = new WatchConfig.Triggers(5, false, 30, 0, 1000);
    assertThat(Retraining.due(scheduled, 0, true, false, t0, t0.plusSeconds(29 * 60))).isNull();
    assertThat(Retraining.due(scheduled, 0, false, false, t0, t0.plusSeconds(30 * 60))).isEqualTo("schedule");
  }

  @Test
  void holdoutIsTheLatestLabelsAndTheAutoencoderSeesNeitherItNorAnomalies() {
    int n = 40;
    long[] times = new long[n];
    Boolean[] labels = new Boolean[n];
    for (int i = 0; i < n; i++) {
      times[i] = i * 60_000L;
    }
    // 10 labels: rows 10..19 (anomalies at 12 and 18)
    for (int i = 10; i < 20; i++) {
      labels[i] = i == 12 || i == 18;
    }
    WatchConfig.Data data = new WatchConfig.Data(1000, 0.3, 10, 5);
    Retraining.Split s = Retraining.split(times, labels, data);
    assertThat(s.skipped()).isNull();
    assertThat(s.holdout()).containsExactly(17, 18, 19); // ceil(10 * 0.3) = 3 latest
    assertThat(s.learn()).containsExactly(10, 11, 12, 13, 14, 15, 16);
    // before the holdout starts (row 17), not anomalous (row 12)
    assertThat(s.unsupervised()).hasSize(16).doesNotContain(12, 17, 18, 19, 20);
    assertThat(Arrays.stream(s.unsupervised()).max().getAsInt()).isEqualTo(16);

    // too few rows before the holdout: every non-holdout, non-anomalous row
    Retraining.Split fallback = Retraining.split(times, labels, new WatchConfig.Data(1000, 0.3, 20, 5));
    assertThat(fallback.skipped()).isNull();
    assertThat(fallback.unsupervised()).hasSize(36).doesNotContain(12, 17, 18, 19).contains(39);

    assertThat(Retraining.split(times, labels, new WatchConfig.Data(1000, 0.3, 10, 11)).skipped())
        .contains("10 usable labels, 11 needed");
    assertThat(Retraining.split(times, labels, new WatchConfig.Data(1000, 0.3, 100, 5)).skipped())
        .contains("needed");
  }

  @Test
  void promotionNeedsTheMarginOnF1OrOnPrAucWhenF1Ties() {
    double m = 0.02;
    assertThat(Retraining.better(new Retraining.HoldoutMetrics(0.5, 0.5, 2), null, m)).isTrue();
    assertThat(Retraining.better(new Retraining.HoldoutMetrics(0.52, 0.1, 2),
        new Retraining.HoldoutMetrics(0.5, 0.9, 2), m)).isTrue();
    assertThat(Retraining.better(new Retraining.HoldoutMetrics(0.51, 0.5, 2),
        new Retraining.HoldoutMetrics(0.5, 0.5, 2), m)).isFalse();
    assertThat(Retraining.better(new Retraining.HoldoutMetrics(0.0, 0.6, 2),
        new Retraining.HoldoutMetrics(0.0, 0.5, 2), m)).isTrue();
    // no anomaly in the holdout: inconclusive, even with a "better" F1 of the normal rows
    assertThat(Retraining.better(new Retraining.HoldoutMetrics(0.0, Double.NaN, 0),
        new Retraining.HoldoutMetrics(0.0, Double.NaN, 0), m)).isFalse();
    assertThat(Retraining.holdoutSize(1, 0.3)).isEqualTo(1);
    assertThat(Retraining.holdoutSize(50, 0.3)).isEqualTo(15);
  }
}
