package io.vigil.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.ConfigException;
import io.vigil.registry.server.RegistryServerConfig;
import io.vigil.registry.server.RegistryServerConfig.AuthMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryServerConfigTest {

  @TempDir Path dir;

  @Test
  void documentedDefaults() {
    RegistryServerConfig d = RegistryServerConfig.loader().load(null, Map.of());
    assertThat(d).isEqualTo(RegistryServerConfig.defaults());
    assertThat(d.host()).isEqualTo("127.0.0.1");
    assertThat(d.port()).isEqualTo(5000);
    assertThat(d.store().jdbcUrl()).startsWith("jdbc:h2:file:./.vigil/registry/registry");
    assertThat(d.store().maxPoolSize()).isEqualTo(8);
    assertThat(d.artifacts().root()).isEqualTo("s3://vigil-models/mlflow");
    assertThat(d.artifacts().endpoint()).isNull();
    assertThat(d.artifacts().createBucket()).isTrue();
    assertThat(d.auth().mode()).isEqualTo(AuthMode.NONE);
    assertThat(d.maxResults()).isEqualTo(50_000);
    assertThat(d.shutdownGraceSeconds()).isEqualTo(10);
    assertThat(RegistryServerConfig.loader().defaultsAsYaml()).contains("jdbcUrl").contains("maxResults");
  }

  @Test
  void environmentOverridesTheFile() throws Exception {
    Path file = dir.resolve("registry.yaml");
    Files.writeString(file, "port: 6000\nartifacts:\n  root: s3://models/prod\n  endpoint: http://minio:9000\n");
    RegistryServerConfig c = RegistryServerConfig.loader().load(file, Map.of(
        "VIGIL_REGISTRY__PORT", "7000",
        "VIGIL_REGISTRY__STORE__JDBC_URL", "jdbc:postgresql://db/registry",
        "VIGIL_REGISTRY__AUTH__MODE", "BEARER",
        "VIGIL_REGISTRY__AUTH__TOKENS__ABC", "ci",
        "VIGIL_KAFKA__BOOTSTRAP_SERVERS", "ignored:9092"));
    assertThat(c.port()).isEqualTo(7000);
    assertThat(c.artifacts().root()).isEqualTo("s3://models/prod");
    assertThat(c.artifacts().endpoint()).isEqualTo("http://minio:9000");
    assertThat(c.store().jdbcUrl()).isEqualTo("jdbc:postgresql://db/registry");
    assertThat(c.auth().mode()).isEqualTo(AuthMode.BEARER);
    assertThat(c.auth().tokens()).containsValue("ci");
  }

  @Test
  void rejectsUnknownKeysAndBadValues() {
    assertThatThrownBy(() -> RegistryServerConfig.loader().load(null, Map.of("VIGIL_REGISTRY__PROT", "1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("prot");
    assertThatThrownBy(() -> RegistryServerConfig.loader().load(null,
        Map.of("VIGIL_REGISTRY__STORE__JDBC_URL", "jdbc:mysql://x")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("jdbc");
    assertThatThrownBy(() -> RegistryServerConfig.loader().load(null,
        Map.of("VIGIL_REGISTRY__ARTIFACTS__ROOT", "file:///tmp")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("s3://");
    assertThatThrownBy(() -> RegistryServerConfig.loader().load(null, Map.of("VIGIL_REGISTRY__AUTH__MODE", "BASIC")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("auth.users");
  }
}
