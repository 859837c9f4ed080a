package io.vigil.cli.labeling;

import io.vigil.labeling.LabelingConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vigil labeling defaults}: every configuration key of the labeling UI with its default. */
@Command(name = "defaults", mixinStandardHelpOptions = true,
    description = "Print every labeling configuration key with its default (YAML). Environment: VIGIL_LABELING__<KEY>.")
public final class LabelingDefaultsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(LabelingConfig.loader().defaultsAsYaml());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
