package io.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Defaults, file and VIGIL_TRAINING__* variables bind to the typed config; bad values are refused. */
class TrainingConfigTest {

  @TempDir Path dir;

  @Test
  void defaultsAreTheDocumentedOnes() {
    TrainingConfig c = TrainingConfig.loader().load(null, Map.of());
    assertThat(c).isEqualTo(TrainingConfig.defaults());
    assertThat(c.model().hiddenSizes()).isEqualTo(List.of(64, 16, 64));
    assertThat(c.model().epochs()).isEqualTo(10);
    assertThat(c.model().thresholdQuantile()).isEqualTo(0.99);
    assertThat(c.registry().modelName()).isEqualTo("anomaly-detector");
    assertThat(c.profile().bins()).isEqualTo(20);
  }

  @Test
  void fileThenEnvironmentOverrideTheDefaults() throws Exception {
    Path f = dir.resolve("training.yaml");
    Files.writeString(f, "model:\n  epochs: 3\n  hiddenSizes: [8, 2, 8]\nregistry:\n  modelName: x\n");
    TrainingConfig c = TrainingConfig.loader().load(f, Map.of("VIGIL_TRAINING__MODEL__EPOCHS", "5",
        "VIGIL_TRAINING__REGISTRY__TRACKING_URI", "http://mlflow:5000"));
    assertThat(c.model().epochs()).isEqualTo(5);
    assertThat(c.model().hiddenSizes()).isEqualTo(List.of(8, 2, 8));
    assertThat(c.registry().modelName()).isEqualTo("x");
    assertThat(c.registry().trackingUri()).isEqualTo("http://mlflow:5000");
  }

  @Test
  void rejectsUnknownKeysAndInvalidValues() {
    assertThatThrownBy(() -> TrainingConfig.loader().load(null, Map.of("VIGIL_TRAINING__MODEL__EPOCHZ", "5")))
        .hasMessageContaining("epochz");
    assertThatThrownBy(() -> TrainingConfig.loader().load(null,
        Map.of("VIGIL_TRAINING__MODEL__THRESHOLD_QUANTILE", "1.5"))).hasMessageContaining("thresholdQuantile");
  }
}
