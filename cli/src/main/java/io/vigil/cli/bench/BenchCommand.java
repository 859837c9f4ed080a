package io.vigil.cli.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code vigil bench NAME}: benchmarks. Each measures its subject and the peer or limit it is
 * compared with in the same run, prints a table with the conditions, and ends with one JSON line.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks; each prints a table and, as its last line, one JSON object with its figures.",
    subcommands = {ReplayBench.class, FeaturesBench.class, io.vigil.cli.labeling.LabelingBench.class,
        io.vigil.cli.serving.ServingBench.class, LoopBench.class, DriftBench.class})
public final class BenchCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
