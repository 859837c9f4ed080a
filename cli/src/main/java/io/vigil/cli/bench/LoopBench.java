package io.vigil.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.VigilConfig;
import io.vigil.cli.loop.LoopData;
import io.vigil.cli.loop.LoopRun;
import io.vigil.training.watch.RetrainDecision;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code vigil bench loop}: the whole loop on one SMD machine with the simulated annotator — time
 * until {@code up} is ready, latency from the label that triggers a retrain to the new version
 * serving, the peak memory of the process, and the F1 of the live predictions before and after the
 * swap (and the old version's on the same windows).
 */
@Command(name = "loop", mixinStandardHelpOptions = true,
    description = "The closed loop end to end on one machine: up_ready_s, label_to_serving_s, peak_rss_mb.")
public final class LoopBench implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR",
      description = "SMD-layout directory to take the machine from (default: the bundled demo/smd).")
  Path data;

  @Option(names = "--entity", defaultValue = "machine-1-2", description = "The machine (default ${DEFAULT-VALUE}).")
  String entity;

  @Option(names = "--split", defaultValue = "4400",
      description = "Rows (train part included) streamed before the swap; the rest after (default ${DEFAULT-VALUE}).")
  long split;

  @Option(names = "--labels", defaultValue = "20", description = "New labels that trigger a retrain (default ${DEFAULT-VALUE}).")
  int labels;

  @Option(names = "--quick", description = "Shorter timeouts.")
  boolean quick;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path work = Files.createTempDirectory("vigil-bench-loop-");
    Path source = data != null ? data
        : Path.of(System.getProperty("vigil.home", ".")).resolve("demo/smd");
    Path dir = LoopData.oneEntity(source, entity, work.resolve("data"));
    VigilConfig cfg = LoopBench.config(work.resolve("work"), labels);
    LoopRun.Result r;
    try (LoopRun run = new LoopRun(cfg, new LoopRun.Settings(dir, split,
        Duration.ofSeconds(quick ? 240 : 600), Duration.ofSeconds(quick ? 120 : 300)))) {
      r = run.run();
    }
    long peakRss = peakRssMb();
    out.println("vigil bench loop" + (quick ? " --quick" : ""));
    out.printf(Locale.ROOT, "conditions: %s of %s, %d rows before the swap, retrain after %d labels, promotion auto,"
        + " simulated annotator without pause, %d cores, one JVM (-Xmx %d MB)%n", entity, source, split, labels,
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
    out.printf(Locale.ROOT, "%-44s %12s%n", "figure", "measured");
    out.printf(Locale.ROOT, "%-44s %12.1f%n", "up_ready_s (goal <= 30)", r.upReadySeconds());
    out.printf(Locale.ROOT, "%-44s %12.1f%n", "label_to_serving_s (goal <= 60)", r.labelToServingSeconds());
    out.printf(Locale.ROOT, "%-44s %12d%n", "peak_rss_mb", peakRss);
    out.printf(Locale.ROOT, "%-44s %12s%n", "versions", "v" + r.firstVersion() + " -> v" + r.newVersion());
    out.printf(Locale.ROOT, "%-44s %12d%n", "label requests", r.labelRequests());
    out.printf(Locale.ROOT, "%-44s %12d%n", "labels given (through the UI)", r.labels());
    out.printf(Locale.ROOT, "%-44s %12d%n", "label events on Kafka", r.labelEvents());
    out.printf(Locale.ROOT, "%-44s %12.3f%n", "F1 before the swap (v" + r.firstVersion() + ", live)", r.before().f1());
    out.printf(Locale.ROOT, "%-44s %12.3f%n", "F1 after the swap (v" + r.newVersion() + " and later, live)", r.afterNew().f1());
    out.printf(Locale.ROOT, "%-44s %12.3f%n", "F1 of v" + r.firstVersion() + " on the same windows", r.afterOld().f1());
    out.printf(Locale.ROOT, "%-44s %12.0f%n", "failed inference requests", r.failedRequests());
    for (RetrainDecision d : r.decisions()) {
      out.printf(Locale.ROOT, "  run %d (%s): %s %s%n", d.run(), d.trigger(), d.outcome(), d.reason());
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "loop");
    json.put("up_ready_s", round(r.upReadySeconds()));
    json.put("label_to_serving_s", round(r.labelToServingSeconds()));
    json.put("peak_rss_mb", peakRss);
    json.put("f1_before", round(r.before().f1()));
    json.put("f1_after", round(r.afterNew().f1()));
    json.put("f1_old_model_after", round(r.afterOld().f1()));
    json.put("failed_requests", (long) r.failedRequests());
    out.println(new ObjectMapper().writeValueAsString(json));
    out.flush();
    return 0;
  }

  /** The loop's configuration for a run in {@code work}: every port free, the loop parts on, retrain after {@code labels}. */
  public static VigilConfig config(Path work, int labels) {
    VigilConfig d = VigilConfig.defaults();
    return new VigilConfig(work.toString(),
        new VigilConfig.Kafka(true, null, 0, 0, (short) 1),
        new VigilConfig.S3(true, null, 0, d.s3().accessKey(), d.s3().secretKey(), d.s3().region(), d.s3().buckets()),
        new VigilConfig.Flink(true, null, 0, d.flink().slots(), true),
        new VigilConfig.Registry(true, null, 0),
        new VigilConfig.Labeling(true, 0),
        new VigilConfig.Loop(d.loop().modelName(), true, true, 0, 0, true, true, true, true, "auto", labels, 0, 0),
        Map.of(), new VigilConfig.Demo(false, null, 0));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  /** The process's peak resident set (VmHWM), in MB; -1 where /proc is not there. */
  static long peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
