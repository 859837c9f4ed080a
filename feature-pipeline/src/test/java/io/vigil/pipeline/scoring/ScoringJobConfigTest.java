package io.vigil.pipeline.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Defaults as documented, file and environment overrides, refusals naming the key. */
class ScoringJobConfigTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    ScoringJobConfig c = ScoringJobConfig.loader().load(null, Map.of());
    assertThat(c).isEqualTo(ScoringJobConfig.defaults());
    assertThat(c.featuresTopic()).isEqualTo("vigil.features");
    assertThat(c.predictionsTopic()).isEqualTo("vigil.predictions");
    assertThat(c.dlqTopic()).isEqualTo("vigil.dlq.scoring");
    assertThat(c.groupId()).isEqualTo("vigil-scoring");
    assertThat(c.serving().target()).isEqualTo("127.0.0.1:8001");
    assertThat(c.serving().modelName()).isEqualTo("anomaly-detector");
    assertThat(c.serving().alias()).isEqualTo("champion");
    assertThat(c.async().capacity()).isEqualTo(100);
    assertThat(c.async().timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.async().ordering()).isEqualTo(ScoringJobConfig.Ordering.ORDERED);
    assertThat(c.retry().initialBackoff()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.retry().maxBackoff()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.circuitBreaker().failureThreshold()).isEqualTo(5);
    assertThat(c.circuitBreaker().openDuration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.transactionalIdPrefix()).isEqualTo("vigil-scoring");
    assertThat(c.transactionTimeout()).isLessThan(Duration.ofMinutes(15));
  }

  @Test
  void fileThenEnvironmentOverrideTheDefaults(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("scoring.yaml");
    Files.writeString(f, """
        serving:
          target: serving.internal:9001
          modelName: my-model
        async:
          ordering: unordered
          capacity: 16
        circuitBreaker:
          openDuration: PT30S
        """);
    ScoringJobConfig c = ScoringJobConfig.loader().load(f, Map.of(
        "VIGIL_SCORING__SERVING__AUTH_TOKEN", "s3cret",
        "VIGIL_SCORING__RETRY__MAX_BACKOFF", "PT1M",
        "VIGIL_SCORING__BOOTSTRAP_SERVERS", "kafka:9092",
        "VIGIL_FEATURE_PIPELINE__GROUP_ID", "not ours"));
    assertThat(c.serving().host()).isEqualTo("serving.internal");
    assertThat(c.serving().port()).isEqualTo(9001);
    assertThat(c.serving().modelName()).isEqualTo("my-model");
    assertThat(c.serving().authToken()).isEqualTo("s3cret");
    assertThat(c.serving().toString()).doesNotContain("s3cret");
    assertThat(c.async().ordering()).isEqualTo(ScoringJobConfig.Ordering.UNORDERED);
    assertThat(c.async().capacity()).isEqualTo(16);
    assertThat(c.circuitBreaker().openDuration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.retry().maxBackoff()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.bootstrapServers()).isEqualTo("kafka:9092");
  }

  @Test
  void invalidValuesAndUnknownKeysAreRefused() {
    assertThatThrownBy(() -> ScoringJobConfig.loader().load(null,
        Map.of("VIGIL_SCORING__SERVING__TARGET", "no-port")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("host:port");
    assertThatThrownBy(() -> ScoringJobConfig.loader().load(null,
        Map.of("VIGIL_SCORING__ASYNC__CAPACITY", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("async.capacity");
    assertThatThrownBy(() -> ScoringJobConfig.loader().load(null,
        Map.of("VIGIL_SCORING__RETRY__MAX_BACKOFF", "PT0.01S")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("maxBackoff");
    assertThatThrownBy(() -> ScoringJobConfig.loader().load(null,
        Map.of("VIGIL_SCORING__TRANSACTION_TIMEOUT", "PT20M")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("transactionTimeout");
    assertThatThrownBy(() -> ScoringJobConfig.loader().load(null,
        Map.of("VIGIL_SCORING__ASYNC__ORDERING", "sideways")))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> ScoringJobConfig.loader().load(null,
        Map.of("VIGIL_SCORING__NO_SUCH_KEY", "1")))
        .isInstanceOf(ConfigException.class);
  }
}
