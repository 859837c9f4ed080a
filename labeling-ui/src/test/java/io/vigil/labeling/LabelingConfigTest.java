package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelingConfigTest {

  @Test
  void environmentVariablesWithTheLabelingPrefixOverrideTheDefaults() {
    LabelingConfig c = LabelingConfig.loader().load(null, Map.of(
        "VIGIL_LABELING__SERVER__PORT", "9099",
        "VIGIL_LABELING__DB__URL", "jdbc:postgresql://db:5432/labels",
        "VIGIL_LABELING__QUEUE__OVERLAP_SHARE", "0.25",
        "VIGIL_KAFKA__BOOTSTRAP_SERVERS", "ignored:9092"));
    assertThat(c.server().port()).isEqualTo(9099);
    assertThat(c.db().postgres()).isTrue();
    assertThat(c.queue().overlapShare()).isEqualTo(0.25);
    assertThat(c.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
  }

  @Test
  void rejectsUnknownKeysAndInvalidValues() {
    assertThatThrownBy(() -> LabelingConfig.loader().load(null, Map.of("VIGIL_LABELING__SERVER__PROT", "1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("prot");
    assertThatThrownBy(() -> LabelingConfig.loader().load(null, Map.of("VIGIL_LABELING__QUEUE__OVERLAP_SHARE", "2")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("overlapShare");
    assertThatThrownBy(() -> LabelingConfig.loader().load(null, Map.of("VIGIL_LABELING__DB__URL", "jdbc:mysql://x")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("db.url");
  }

  @Test
  void theDefaultsAreNotSafeToRunWithoutASecretAndAnAdminPassword() {
    assertThatThrownBy(() -> LabelingConfig.defaults().security().requireSafe())
        .hasMessageContaining("sessionSecret");
  }
}
