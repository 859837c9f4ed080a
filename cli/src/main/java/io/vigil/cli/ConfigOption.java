package io.vigil.cli;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --config FILE}, shared by the commands that read the configuration. */
public final class ConfigOption {

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "YAML configuration file (default: $VIGIL_CONFIG, else ./vigil.yaml if present)."
          + " VIGIL_* environment variables override it, e.g. VIGIL_KAFKA__BOOTSTRAP_SERVERS.")
  Path file;

  /** Loads defaults, the file, then the environment. */
  public VigilConfig load() {
    return load(System.getenv());
  }

  VigilConfig load(Map<String, String> env) {
    Path f = file;
    if (f == null && env.get("VIGIL_CONFIG") != null) {
      f = Path.of(env.get("VIGIL_CONFIG"));
    }
    if (f == null && java.nio.file.Files.isRegularFile(Path.of("vigil.yaml"))) {
      f = Path.of("vigil.yaml");
    }
    return VigilConfig.loader().load(f, env);
  }
}
