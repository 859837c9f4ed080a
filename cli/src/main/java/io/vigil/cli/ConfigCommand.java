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

  @Command(name = "defaults", mixinStandardHelpOptions = true,
      description = "Print every configuration key with its default value (YAML).")
  static final class Defaults implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().print(VigilConfig.loader().defaultsAsYaml());
      spec.commandLine().getOut().flush();
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
