package io.vigil.cli.labeling;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vigil labeling ...}: the labeling UI. */
@Command(name = "labeling", mixinStandardHelpOptions = true,
    description = "The labeling UI: annotators and reviewers, label store with a transactional outbox.",
    subcommands = {LabelingServeCommand.class, LabelingDefaultsCommand.class})
public final class LabelingCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
