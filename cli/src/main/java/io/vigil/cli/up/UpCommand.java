package io.vigil.cli.up;

import io.vigil.cli.ConfigOption;
import io.vigil.cli.KafkaClients;
import io.vigil.cli.UserException;
import io.vigil.cli.VigilConfig;
import io.vigil.cli.loop.GroundTruth;
import io.vigil.cli.loop.LoopCounters;
import io.vigil.cli.loop.SimulatedAnnotator;
import io.vigil.cli.replay.ConsoleProgress;
import io.vigil.cli.replay.ReplayException;
import io.vigil.cli.replay.Replayer;
import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.schemas.topics.VigilTopic;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vigil up}: the loop on one machine. Starts the embedded parts (or connects to external
 * ones), replays the demo telemetry, prints what runs where, and runs until Ctrl-C.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {
      "Start Vigil on this machine: Kafka (KRaft) and S3 embedded by default, topics and buckets"
          + " created, then the demo telemetry replayed. Runs until Ctrl-C, then stops everything"
          + " cleanly. Data is kept under workDir (.vigil/): a second `up` resumes and does not"
          + " replay the demo again."})
public final class UpCommand implements Callable<Integer> {

  static final String REPLAY_MARKER = "demo-replayed";

  @Spec CommandSpec spec;
  @Mixin ConfigOption config;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Replay this directory instead of the bundled demo excerpt.")
  Path data;

  @Option(names = "--speed", paramLabel = "N", description = "Replay speed, times real time (0 = full speed).")
  Double speed;

  @Option(names = "--replay-again", description = "Replay the demo data even if an earlier `up` did.")
  boolean replayAgain;

  @Option(names = "--simulate-annotator",
      description = "Answer label requests from the data's label files through the labeling UI, as a person would"
          + " (for demos and tests).")
  boolean simulateAnnotator;

  @Option(names = "--annotator-noise", paramLabel = "P", defaultValue = "0",
      description = "The simulated annotator answers wrongly with probability P (default 0).")
  double annotatorNoise;

  @Option(names = "--with-kafka", paramLabel = "HOST:PORT",
      description = "Use this Kafka cluster instead of the embedded broker (kafka.embedded=false).")
  String externalKafka;

  @Option(names = "--with-s3", paramLabel = "URL",
      description = "Use this S3/MinIO endpoint instead of the embedded one (s3.embedded=false).")
  String externalS3;

  @Option(names = "--with-registry", paramLabel = "URL",
      description = "Use this MLflow tracking server instead of the embedded registry (registry.embedded=false).")
  String externalRegistry;

  @Option(names = "--with-flink", paramLabel = "URL",
      description = "Submit the jobs to this Flink cluster's REST API instead of a MiniCluster (flink.embedded=false).")
  String externalFlink;

  @Option(names = "--exit-after-replay",
      description = "Stop once the demo replay is done instead of running until Ctrl-C (for scripts).")
  boolean exitAfterReplay;

  @Override
  public Integer call() throws Exception {
    VigilConfig cfg = withExternal(config.load());
    PrintWriter out = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    Files.createDirectories(cfg.workPath());
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    Path demo = cfg.demo().enabled() || data != null ? (data != null ? data : demoDir(cfg)) : null;
    try (LocalStack stack = LocalStack.start(cfg, demo)) {
      double readySeconds = (System.nanoTime() - t0) / 1e9;
      printBanner(out, cfg, stack, readySeconds);

      // On Ctrl-C the JVM runs this hook and exits when it returns: wait for the main thread to
      // stop every part first, so nothing is cut off mid-write.
      Thread hook = new Thread(() -> {
        stopped.countDown();
        try {
          closed.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "vigil-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try (LoopCounters counters = new LoopCounters(stack.bootstrapServers(), cfg.topicNames()).start();
          SimulatedAnnotator annotator = startAnnotator(cfg, stack, demo, out);
          StatusLine status = new StatusLine(out, counters, stack, cfg.loop().modelName()).start()) {
        replayDemo(cfg, stack, out);
        if (!exitAfterReplay) {
          out.println("Vigil is running. Press Ctrl-C to stop.");
          out.flush();
          stopped.await();
        }
      } finally {
        if (stopped.getCount() > 0) {
          Runtime.getRuntime().removeShutdownHook(hook);
        }
        out.println("stopping Vigil...");
        out.flush();
      }
    }
    finally {
      out.println("Vigil stopped.");
      out.flush();
      closed.countDown();
    }
    return 0;
  }

  private void replayDemo(VigilConfig cfg, LocalStack stack, PrintWriter out) throws IOException {
    if (!cfg.demo().enabled() && data == null) {
      return;
    }
    Path marker = cfg.workPath().resolve(REPLAY_MARKER);
    if (Files.exists(marker) && !replayAgain && data == null) {
      out.println("demo data already replayed by an earlier `up` (" + Files.readString(marker).strip()
          + "); --replay-again to send it again");
      out.flush();
      return;
    }
    Path dir = data != null ? data : demoDir(cfg);
    double pace = speed != null ? speed : cfg.demo().speed();
    Dataset dataset = Dataset.open(dir, DatasetOptions.defaults());
    String topic = cfg.topicNames().name(VigilTopic.TELEMETRY);
    out.printf(Locale.ROOT, "replaying %s (%s, %d entities) to %s at %s%n", dir, dataset.format(),
        dataset.entities().size(), topic, pace == 0 ? "full speed" : pace + "x real time");
    out.flush();
    Replayer.Result r;
    try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(stack.bootstrapServers(), "vigil-up-replay");
        ConsoleProgress progress = new ConsoleProgress("replay")) {
      Replayer replayer = new Replayer(producer, topic);
      Thread stopOnExit = new Thread(replayer::stop, "vigil-replay-stop");
      Runtime.getRuntime().addShutdownHook(stopOnExit);
      try {
        r = replayer.replay(dataset, new Replayer.Options(pace), progress);
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
          // the JVM is already stopping; the hook has run
        }
      }
    } catch (ReplayException e) {
      out.println("replay stopped: " + e.getMessage());
      out.flush();
      return;
    }
    Files.writeString(marker, r.records() + " records from " + dir + " at " + Instant.now() + "\n",
        StandardCharsets.UTF_8);
    out.printf(Locale.ROOT, "replayed %,d records of %d entities in %.1f s (%,.0f records/s)%n",
        r.records(), r.entities(), r.elapsed().toMillis() / 1000.0, r.recordsPerSecond());
    out.flush();
  }

  private SimulatedAnnotator startAnnotator(VigilConfig cfg, LocalStack stack, Path demo, PrintWriter out) {
    if (!simulateAnnotator) {
      return null;
    }
    if (stack.labelingUrl() == null || demo == null) {
      throw new UserException("--simulate-annotator needs the labeling UI (labeling.enabled) and demo data");
    }
    out.println("simulated annotator: answering label requests from the label files of " + demo);
    out.flush();
    return new SimulatedAnnotator(java.net.URI.create(stack.labelingUrl()), "annotator", stack.annotatorPassword(),
        GroundTruth.read(demo), annotatorNoise, java.time.Duration.ofMillis(cfg.loop().annotatorPauseMillis()), 42)
        .start();
  }

  /** The config with the --with-* options applied: those parts external. */
  private VigilConfig withExternal(VigilConfig c) {
    VigilConfig.Kafka k = externalKafka == null ? c.kafka()
        : new VigilConfig.Kafka(false, externalKafka, c.kafka().port(), c.kafka().controllerPort(),
            c.kafka().replicationFactor());
    VigilConfig.S3 s = externalS3 == null ? c.s3()
        : new VigilConfig.S3(false, externalS3, c.s3().port(), c.s3().accessKey(), c.s3().secretKey(),
            c.s3().region(), c.s3().buckets());
    VigilConfig.Registry r = externalRegistry == null ? c.registry()
        : new VigilConfig.Registry(false, externalRegistry, c.registry().port());
    VigilConfig.Flink f = externalFlink == null ? c.flink()
        : new VigilConfig.Flink(false, externalFlink, c.flink().restPort(), c.flink().slots(),
            c.flink().featurePipeline());
    return new VigilConfig(c.workDir(), k, s, f, r, c.labeling(), c.loop(), c.topics(), c.demo());
  }

  private static Path demoDir(VigilConfig cfg) {
    if (cfg.demo().dataDir() != null) {
      return Path.of(cfg.demo().dataDir());
    }
    String home = System.getProperty("vigil.home", System.getenv().getOrDefault("VIGIL_HOME", "."));
    Path dir = Path.of(home).resolve("demo/smd");
    if (!Files.isDirectory(dir)) {
      throw new UserException("the bundled demo data is not at " + dir.toAbsolutePath()
          + "; run from the repository root, set VIGIL_HOME, or set demo.dataDir");
    }
    return dir;
  }

  private static void printBanner(PrintWriter out, VigilConfig cfg, LocalStack stack, double readySeconds) {
    out.println();
    out.printf(Locale.ROOT, "Vigil is up (ready in %.1f s). Work directory: %s%n", readySeconds,
        cfg.workPath().toAbsolutePath().normalize());
    for (LocalStack.Endpoint e : stack.endpoints()) {
      out.printf(Locale.ROOT, "  %-8s %-28s %s%n", e.part(), e.address(), e.detail());
    }
    out.printf(Locale.ROOT, "  %-8s %s%n", "Topics", String.join(", ",
        java.util.Arrays.stream(VigilTopic.values()).map(t -> cfg.topicNames().name(t)).toList()));
    out.printf(Locale.ROOT, "  %-8s %s%n", "Buckets", String.join(", ", cfg.s3().buckets()));
    out.println();
    out.flush();
  }
}
