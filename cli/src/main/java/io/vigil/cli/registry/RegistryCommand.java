package io.vigil.cli.registry;

import io.vigil.registry.server.RegistryServerConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vigil registry}: the MLflow-compatible model registry server. */
@Command(name = "registry", mixinStandardHelpOptions = true,
    description = "The MLflow-compatible tracking and model registry server.",
    subcommands = {RegistryServeCommand.class, RegistryCommand.Defaults.class})
public final class RegistryCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "defaults", mixinStandardHelpOptions = true,
      description = "Print every registry configuration key with its default (YAML); environment"
          + " variables VIGIL_REGISTRY__<KEY> override them, e.g. VIGIL_REGISTRY__STORE__JDBC_URL.")
  static final class Defaults implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().print(RegistryServerConfig.loader().defaultsAsYaml());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
