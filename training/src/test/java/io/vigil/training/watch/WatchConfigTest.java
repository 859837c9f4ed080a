package io.vigil.training.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.ConfigException;
import io.vigil.training.TrainingConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The watch and head keys of the training configuration: defaults, environment, refusals. */
class WatchConfigTest {

  @Test
  void defaultsAreDocumentedAndEnvironmentVariablesOverrideThem() {
    TrainingConfig d = TrainingConfig.loader().load(null, Map.of());
    assertThat(d.watch()).isEqualTo(WatchConfig.defaults());
    assertThat(d.watch().promotion().policy()).isEqualTo("review");
    assertThat(d.watch().triggers().minNewLabels()).isEqualTo(50);
    assertThat(d.head().topErrors()).isEqualTo(3);
    assertThat(TrainingConfig.loader().defaultsAsYaml()).contains("watch:", "minGapSeconds", "head:",
        "calibrationShare");

    TrainingConfig c = TrainingConfig.loader().load(null, Map.of(
        "VIGIL_TRAINING__WATCH__PROMOTION__POLICY", "AUTO",
        "VIGIL_TRAINING__WATCH__PROMOTION__MARGIN", "0.05",
        "VIGIL_TRAINING__WATCH__TRIGGERS__MIN_NEW_LABELS", "10",
        "VIGIL_TRAINING__WATCH__KAFKA__BOOTSTRAP_SERVERS", "broker:9092",
        "VIGIL_TRAINING__HEAD__L2", "0.5"));
    assertThat(c.watch().promotion().auto()).isTrue();
    assertThat(c.watch().promotion().margin()).isEqualTo(0.05);
    assertThat(c.watch().triggers().minNewLabels()).isEqualTo(10);
    assertThat(c.watch().kafka().bootstrapServers()).isEqualTo("broker:9092");
    assertThat(c.head().l2()).isEqualTo(0.5);
  }

  @Test
  void refusesAnUnknownPolicyAnUnknownKeyAndSameAliases() {
    assertThatThrownBy(() -> TrainingConfig.loader().load(null,
        Map.of("VIGIL_TRAINING__WATCH__PROMOTION__POLICY", "yolo")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("auto or review");
    assertThatThrownBy(() -> TrainingConfig.loader().load(null,
        Map.of("VIGIL_TRAINING__WATCH__TRIGGERS__EVERY", "1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("every");
    assertThatThrownBy(() -> new WatchConfig.Promotion("auto", 0, "champion", "champion", "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
