package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  record Server(String host, int port) {
    Server {
      if (port < 0) {
        throw new IllegalArgumentException("server.port must be >= 0, not " + port);
      }
    }
  }

  record Example(String name, Server server, boolean embedded) {}

  private static final Example DEFAULTS = new Example("vigil", new Server("127.0.0.1", 9092), true);
  private final ConfigLoader<Example> loader =
      new ConfigLoader<>(Example.class, DEFAULTS, "APP_", Set.of("APP_HOME", "APP_OTHER__*"));

  @Test
  void defaultsApplyWithoutFileOrEnvironment() {
    assertThat(loader.load(null, Map.of())).isEqualTo(DEFAULTS);
  }

  @Test
  void fileOverridesDefaultsKeyByKeyAndEnvironmentOverridesFile(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("c.yaml");
    Files.writeString(f, "server:\n  port: 1000\n");
    Example c = loader.load(f, Map.of("APP_SERVER__HOST", "kafka.prod", "APP_HOME", "/opt", "PATH", "/bin"));
    assertThat(c).isEqualTo(new Example("vigil", new Server("kafka.prod", 1000), true));
    assertThat(loader.load(f, Map.of("APP_SERVER__PORT", "2000")).server().port()).isEqualTo(2000);
    assertThat(loader.load(null, Map.of("APP_EMBEDDED", "false")).embedded()).isFalse();
  }

  @Test
  void reservedPrefixesBelongToOtherDeployablesAndAreIgnored() {
    assertThat(loader.load(null, Map.of("APP_OTHER__PORT", "1", "APP_OTHER__X__Y", "z"))).isEqualTo(DEFAULTS);
  }

  @Test
  void environmentNamesMapToCamelCasePaths() {
    assertThat(ConfigLoader.envToPath("KAFKA__BOOTSTRAP_SERVERS")).isEqualTo("kafka.bootstrapServers");
    assertThat(ConfigLoader.envToPath("WORK_DIR")).isEqualTo("workDir");
  }

  @Test
  void rejectsUnknownKeysFromTheFile(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("c.yaml");
    Files.writeString(f, "server:\n  prot: 1\n");
    assertThatThrownBy(() -> loader.load(f, Map.of())).isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown config key 'server.prot'").hasMessageContaining("port");
  }

  @Test
  void rejectsUnknownKeysFromTheEnvironmentNamingTheVariable() {
    assertThatThrownBy(() -> loader.load(null, Map.of("APP_SERVER__PROT", "1")))
        .hasMessageContaining("APP_SERVER__PROT");
  }

  @Test
  void rejectsValuesThatDoNotParseOrValidate() {
    assertThatThrownBy(() -> loader.load(null, Map.of("APP_SERVER__PORT", "many")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.port").hasMessageContaining("many");
    assertThatThrownBy(() -> loader.load(null, Map.of("APP_SERVER__PORT", "-1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("server.port must be >= 0");
  }

  @Test
  void rejectsAMissingFileAndNonMappingYaml(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> loader.load(dir.resolve("nope.yaml"), Map.of())).hasMessageContaining("does not exist");
    Path f = dir.resolve("list.yaml");
    Files.writeString(f, "- a\n- b\n");
    assertThatThrownBy(() -> loader.load(f, Map.of())).hasMessageContaining("mapping");
  }

  @Test
  void rendersDefaultsAsDocumentation() {
    assertThat(loader.defaultsAsYaml()).contains("server:", "port: 9092", "embedded: true");
  }
}
