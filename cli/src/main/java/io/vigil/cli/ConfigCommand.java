package io.vigil.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Prints the configuration: every key with its default, or what is in effect here. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Print the configuration keys with their defaults, or the effective configuration.",
    subcommands = {ConfigCommand.Defaults.class, ConfigCommand.Effective.class})
public final class ConfigCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** One part's configuration: its name, environment prefix and defaults (YAML). */
  record Part(String name, String envPrefix, String defaultsYaml) {}

  /**
   * Every part of the loop with its defaults, in the order {@code vigil up} starts them. Each part
   * reads its own keys from its environment prefix; {@code up} sets where the infrastructure is
   * (bootstrap servers, endpoints, ports, topic names) itself.
   */
  static java.util.List<Part> parts() {
    return java.util.List.of(
        new Part("launcher (vigil up)", "VIGIL_", VigilConfig.loader().defaultsAsYaml()),
        new Part("model registry", "VIGIL_REGISTRY__",
            io.vigil.registry.server.RegistryServerConfig.loader().defaultsAsYaml()),
        new Part("training and the retraining watcher", io.vigil.training.TrainingConfig.ENV_PREFIX,
            io.vigil.training.TrainingConfig.loader().defaultsAsYaml()),
        new Part("serving", io.vigil.serving.ServingConfig.ENV_PREFIX,
            io.vigil.serving.ServingConfig.loader().defaultsAsYaml()),
        new Part("feature job", "VIGIL_FEATURE_PIPELINE__",
            io.vigil.pipeline.FeatureJobConfig.loader().defaultsAsYaml()),
        new Part("scoring job", io.vigil.pipeline.scoring.ScoringJobConfig.ENV_PREFIX,
            io.vigil.pipeline.scoring.ScoringJobConfig.loader().defaultsAsYaml()),
        new Part("drift job", io.vigil.drift.DriftJobConfig.ENV_PREFIX,
            io.vigil.drift.DriftJobConfig.loader().defaultsAsYaml()),
        new Part("label-request job", io.vigil.drift.requests.LabelRequestConfig.ENV_PREFIX,
            io.vigil.drift.requests.LabelRequestConfig.loader().defaultsAsYaml()),
        new Part("labeling UI", "VIGIL_LABELING__", io.vigil.labeling.LabelingConfig.loader().defaultsAsYaml()));
  }

  @Command(name = "defaults", mixinStandardHelpOptions = true,
      description = "Print every configuration key with its default value (YAML).")
  static final class Defaults implements Callable<Integer> {
    @Spec CommandSpec spec;

    @picocli.CommandLine.Option(names = "--all",
        description = "Every part of the loop, each with its environment prefix, not only the launcher's keys.")
    boolean all;

    @Override
    public Integer call() {
      java.io.PrintWriter out = spec.commandLine().getOut();
      if (!all) {
        out.print(VigilConfig.loader().defaultsAsYaml());
      } else {
        for (Part p : parts()) {
          out.println("# ---- " + p.name() + ": environment " + p.envPrefix() + "<KEY> (levels joined by __)");
          out.print(p.defaultsYaml());
          out.println();
        }
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Validate and print the effective configuration (defaults + file + environment).")
  static final class Effective implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ConfigOption config;

    @Override
    public Integer call() {
      VigilConfig c = config.load();
      spec.commandLine().getOut().print(VigilConfig.loader().toYaml(c));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
