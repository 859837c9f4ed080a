package io.vigil.training.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The watcher's holdout: the latest share of each class, so rare anomalies are never all trained on. */
class HoldoutTest {

  private final List<FeatureStore.Row> rows = new ArrayList<>();
  private final Map<String, LabelBook.Label> labels = new HashMap<>();

  private void label(int t, boolean anomaly) {
    String id = "s" + t;
    rows.add(new FeatureStore.Row(id, "e", t, "fs", "v1", List.of("x"), new float[] {t}));
    labels.put(id, new LabelBook.Label(id, anomaly, "ev" + t, t));
  }

  @Test
  void takesTheLatestShareOfEachClass() {
    // 4 anomalies early, 16 normal answers after them: a plain time split would hold no anomaly
    for (int t = 0; t < 4; t++) {
      label(t, true);
    }
    for (int t = 4; t < 20; t++) {
      label(t, false);
    }
    Set<String> holdout = RetrainRun.holdoutIds(rows, labels, 0.3);
    assertThat(holdout).containsExactlyInAnyOrder("s2", "s3", "s15", "s16", "s17", "s18", "s19");
  }

  @Test
  void aLoneAnomalyIsLearntFromAndTheHoldoutIsNeverEmpty() {
    label(0, true);
    label(1, false);
    label(2, false);
    assertThat(RetrainRun.holdoutIds(rows, labels, 0.3)).containsExactly("s2");

    rows.clear();
    labels.clear();
    label(0, false);
    assertThat(RetrainRun.holdoutIds(rows, labels, 0.3)).containsExactly("s0");
  }

  @Test
  void eachClassKeepsSomethingToLearnFrom() {
    label(0, true);
    label(1, true);
    label(2, false);
    label(3, false);
    assertThat(RetrainRun.holdoutIds(rows, labels, 0.9)).containsExactlyInAnyOrder("s1", "s3");
  }
}
