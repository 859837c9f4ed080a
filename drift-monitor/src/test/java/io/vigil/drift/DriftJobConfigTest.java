package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.ConfigException;
import io.vigil.drift.stats.DriftPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Defaults, the file and the VIGIL_DRIFT__ environment, and refused values. */
class DriftJobConfigTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    DriftJobConfig c = DriftJobConfig.loader().load(null, Map.of());
    assertThat(c).isEqualTo(DriftJobConfig.defaults());
    assertThat(c.window()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.driftTopic()).isEqualTo("vigil.drift");
    assertThat(c.dlqTopic()).isEqualTo("vigil.dlq.drift");
    assertThat(c.drift().psiThreshold()).isEqualTo(0.2);
    assertThat(c.drift().expectedRunLength()).isEqualTo(500);
    assertThat(c.drift().statistic()).isEqualTo(DriftPolicy.Statistic.PER_METRIC);
  }

  @Test
  void fileThenEnvironmentOverrideTheDefaults(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("drift.yaml");
    Files.writeString(f, "window: PT1H\ndrift:\n  psiThreshold: 0.3\n  expectedRunLength: 1000\n");
    DriftJobConfig c = DriftJobConfig.loader().load(f, Map.of("VIGIL_DRIFT__DRIFT__PSI_THRESHOLD", "0.25",
        "VIGIL_DRIFT__REGISTRY__TRACKING_URI", "http://registry:5000"));
    assertThat(c.window()).isEqualTo(Duration.ofHours(1));
    assertThat(c.drift().psiThreshold()).isEqualTo(0.25);
    assertThat(c.drift().expectedRunLength()).isEqualTo(1000);
    assertThat(c.registry().trackingUri()).isEqualTo("http://registry:5000");
  }

  @Test
  void refusesUnknownKeysAndBadValues() {
    assertThatThrownBy(() -> DriftJobConfig.loader().load(null, Map.of("VIGIL_DRIFT__WINDOWS", "PT1H")))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> DriftJobConfig.loader().load(null, Map.of("VIGIL_DRIFT__DRIFT__EXPECTED_RUN_LENGTH", "1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("expectedRunLength");
    assertThatThrownBy(() -> DriftJobConfig.loader().load(null, Map.of("VIGIL_DRIFT__TRANSACTION_TIMEOUT", "PT20M")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("transactionTimeout");
  }
}
