package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vigil.config.ConfigException;
import io.vigil.schemas.topics.VigilTopic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VigilConfigTest {

  @Test
  void defaultsAreValidAndEmbedEverything() {
    VigilConfig c = VigilConfig.loader().load(null, Map.of());
    assertThat(c).isEqualTo(VigilConfig.defaults());
    assertThat(c.kafka().embedded()).isTrue();
    assertThat(c.kafka().port()).isEqualTo(9092);
    assertThat(c.s3().port()).isEqualTo(9000);
    assertThat(c.registry().port()).isEqualTo(5000);
    assertThat(c.flink().restPort()).isEqualTo(8081);
    assertThat(c.labeling().port()).isEqualTo(8088);
    assertThat(c.topicNames().name(VigilTopic.TELEMETRY)).isEqualTo("vigil.telemetry");
  }

  @Test
  void everyKeyIsDocumentedInTheReadme() throws Exception {
    Path readme = Path.of(System.getProperty("vigil.repo.dir", "..")).resolve("cli/README.md");
    String doc = Files.readString(readme);
    JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(VigilConfig.loader().defaultsAsYaml());
    List<String> keys = new ArrayList<>();
    collect("", tree, keys);
    for (String key : keys) {
      String documented = key.startsWith("s3.accessKey") || key.startsWith("s3.secretKey") ? "s3.accessKey" : key;
      assertThat(doc).as("cli/README.md documents %s", key).contains("`" + documented + "`");
    }
  }

  @Test
  void environmentOverridesAndOtherDeployablesVariablesAreIgnored() {
    VigilConfig c = VigilConfig.loader().load(null, Map.of(
        "VIGIL_KAFKA__EMBEDDED", "false", "VIGIL_KAFKA__BOOTSTRAP_SERVERS", "kafka:9092",
        "VIGIL_TOPICS__TELEMETRY", "prod.telemetry",
        "VIGIL_REGISTRY__PORT", "5001", "VIGIL_LABELING__SERVER__PORT", "1",
        "VIGIL_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1/x"));
    assertThat(c.kafka().embedded()).isFalse();
    assertThat(c.kafka().bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(c.topicNames().name(VigilTopic.TELEMETRY)).isEqualTo("prod.telemetry");
    assertThat(c.registry().port()).isEqualTo(5000);
  }

  @Test
  void refusesInconsistentSettingsNamingTheKey() {
    assertThatThrownBy(() -> VigilConfig.loader().load(null, Map.of("VIGIL_KAFKA__EMBEDDED", "false")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.bootstrapServers");
    assertThatThrownBy(() -> VigilConfig.loader().load(null, Map.of("VIGIL_TOPICS__TELEMETRI", "x")))
        .hasMessageContaining("topics.telemetri is not a Vigil topic");
    assertThatThrownBy(() -> VigilConfig.loader().load(null, Map.of("VIGIL_S3__PORT", "70000")))
        .hasMessageContaining("s3.port");
  }

  private static void collect(String prefix, JsonNode node, List<String> out) {
    if (node.isObject() && node.size() > 0) {
      node.fields().forEachRemaining(e -> collect(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
          e.getValue(), out));
    } else if (!prefix.equals("topics")) {
      out.add(prefix);
    }
  }
}
