package io.vigil.cli.training;

import io.vigil.cli.UserException;
import io.vigil.config.ConfigException;
import io.vigil.training.TrainingConfig;
import io.vigil.training.eval.EvalReport;
import io.vigil.training.eval.Evaluation;
import io.vigil.training.eval.QueryCurve;
import io.vigil.selection.Strategy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vigil eval}: the honest, prequential measurement. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluate the detector on a data directory (SMD, JumpStarter or NAB layout) the way the"
        + " system runs: per entity, train on the unlabelled training part (cold start), then stream the"
        + " test part in time order, each window scored before its label is known.",
        "Prints a table and writes a JSON report: per entity and mean, f1_best (best-threshold point-wise"
        + " F1, no point adjustment), f1_operating (at the model's own threshold), f1_event, pr_auc,"
        + " f1_pa beside f1_pa_random, hitrate_150 (where interpretation labels exist), queries.",
        "With random or uncertainty the model retrains during the stream as `vigil train --watch` would"
        + " (watch.* triggers, holdout and margin; --no-retrain: incidents only). --plot FILE.png writes an"
        + " F1-vs-queries chart of uncertainty against random over --plot-budgets."})
public final class EvalCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "DIR", description = "Data directory.")
  Path data;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "smd, jumpstarter or nab; checked against the directory's layout (detected when omitted).")
  String format;

  @Option(names = "--entities", split = ",", paramLabel = "NAMES",
      description = "Only these entities (comma-separated). Default: all.")
  Set<String> entities = Set.of();

  @Option(names = "--strategy", paramLabel = "STRATEGY", defaultValue = "none",
      description = "Query strategy: none (cold start, no labels), random or uncertainty (a simulated annotator"
          + " answers from the label files; a confirmed anomaly opens an incident with follow-ups)."
          + " Default ${DEFAULT-VALUE}.")
  String strategy;

  @Option(names = "--budget", paramLabel = "N", defaultValue = "0",
      description = "Annotator queries per entity, follow-ups included (random/uncertainty).")
  int budget;

  @Option(names = "--annotator-noise", paramLabel = "P", defaultValue = "0",
      description = "Probability that the simulated annotator answers wrongly. Default ${DEFAULT-VALUE}.")
  double noise;

  @Option(names = "--seed", paramLabel = "S", description = "Seed (default: model.seed).")
  Long seed;

  @Option(names = "--out", paramLabel = "FILE", defaultValue = "report.json",
      description = "JSON report. Default ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--no-retrain",
      description = "Do not retrain during the stream (queries only open and close incidents).")
  boolean noRetrain;

  @Option(names = "--plot", paramLabel = "FILE.png",
      description = "Also measure random and uncertainty over --plot-budgets and write an F1-vs-queries chart"
          + " (PNG); the points go into the report under \"curve\".")
  Path plot;

  @Option(names = "--plot-budgets", split = ",", paramLabel = "N,...", defaultValue = "0,25,50,100,200",
      description = "Budgets of the chart (0 = no labels). Default ${DEFAULT-VALUE}.")
  List<Integer> plotBudgets;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML file with training keys.")
  Path configFile;

  @Override
  public Integer call() {
    PrintWriter pw = spec.commandLine().getOut();
    Strategy chosen;
    try {
      chosen = Strategy.parse(strategy);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    if (chosen == Strategy.NONE && budget != 0) {
      throw new UserException("--budget needs --strategy random or uncertainty");
    }
    if (!(noise >= 0 && noise < 0.5)) {
      throw new UserException("--annotator-noise must be in [0, 0.5), not " + noise);
    }
    TrainingOptions.checkData(data, format);
    TrainingConfig config = loadConfig(System.getenv());
    if (plot != null && !plot.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
      throw new UserException("--plot writes a PNG: give a FILE.png, not " + plot);
    }
    if (plot != null && (plotBudgets.isEmpty() || plotBudgets.stream().anyMatch(b -> b == null || b < 0))) {
      throw new UserException("--plot-budgets must be budgets >= 0, not " + plotBudgets);
    }
    Evaluation evaluation = new Evaluation(config, chosen, budget, noise, !noRetrain);
    EvalReport report = evaluation.run(data, entities, r -> {
      System.err.printf(Locale.ROOT, "eval: %s done (f1_best %.3f, trained in %.1f s)%n", r.entity(),
          r.f1Best(), r.trainSeconds());
      System.err.flush();
    });
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("retrain", !noRetrain && chosen != Strategy.NONE);
    Map<String, Object> watch = new LinkedHashMap<>();
    watch.put("triggers", config.watch().triggers());
    watch.put("data", config.watch().data());
    watch.put("margin", config.watch().promotion().margin());
    extra.put("watch", watch);
    if (plot != null) {
      String name = chosen.name().toLowerCase(Locale.ROOT);
      QueryCurve curve = QueryCurve.measure(config, !noRetrain, noise, data, entities, plotBudgets,
          Map.of(name + ":" + (chosen == Strategy.NONE ? 0 : budget), report), line -> {
            System.err.println("eval: " + line);
            System.err.flush();
          });
      curve.writePng(plot, "F1 vs queries: uncertainty against random (" + data.getFileName() + ")", 900, 560);
      extra.put("curve", curve.toList());
    }
    report.write(out, extra);
    pw.print(report.table());
    if (plot != null) {
      pw.printf(Locale.ROOT, "chart: %s%n", plot.toAbsolutePath());
    }
    pw.printf(Locale.ROOT, "%d entities in %.1f s; report: %s%n", report.entities().size(), report.seconds(),
        out.toAbsolutePath());
    pw.flush();
    return 0;
  }

  TrainingConfig loadConfig(Map<String, String> env) {
    if (configFile != null && !Files.isRegularFile(configFile)) {
      throw new UserException("no configuration file " + configFile);
    }
    TrainingConfig c;
    try {
      c = TrainingConfig.loader().load(configFile, env);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return seed == null ? c : c.withModel(c.model().withSeed(seed));
  }
}
