package io.vigil.cli.training;

import io.vigil.cli.UserException;
import io.vigil.config.ConfigException;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.KafkaModelEventPublisher;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RegistryException;
import io.vigil.training.ColdStartConfig;
import io.vigil.training.EpochListener;
import io.vigil.training.TrainingConfig;
import io.vigil.training.TrainingRun;
import io.vigil.training.watch.FeatureArchive;
import io.vigil.training.watch.OneOffRun;
import io.vigil.training.watch.RetrainDecision;
import io.vigil.training.watch.RetrainWatcher;
import io.vigil.training.watch.TrainingLabels;
import io.vigil.training.watch.WatchConfig;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vigil train}: the cold-start model from a data directory, logged and registered. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train the cold-start (no labels) anomaly model on the training split of a data directory"
        + " (SMD, JumpStarter or NAB layout), evaluate it on the held-out test split, write model.json,"
        + " the parameters and reference-profile.json, log the run to the registry and register a version.",
        "With --archive instead of --data: train on what the running system recorded, the feature archive"
        + " (S3 or a directory) and the labels from the labels topic or the label store, by the retrain"
        + " watcher's rules (holdout of the latest labels, supervised head, champion comparison, promotion"
        + " per watch.promotion.policy). --data DIR --labels files does the same on a data directory with its"
        + " label files. Exit code 3 when there was too little data to train.",
        "Configuration: training.yaml keys (see training/README.md), overridden by VIGIL_TRAINING__*"
        + " variables, overridden by these options."})
public final class TrainCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory (required without --watch).")
  Path data;

  @Option(names = "--watch", description = "Keep running: retrain from vigil.labels and vigil.features when"
      + " watch.triggers.minNewLabels new labels arrive, on a drift alarm or on a schedule; promote or propose"
      + " the candidate per watch.promotion.policy (auto|review). Ctrl-C stops it.")
  boolean watch;

  @Option(names = "--archive", paramLabel = "LOCATION", description = "Train on what the running system recorded"
      + " instead of a data directory: the feature archive (s3://bucket/prefix with the registry's S3 settings,"
      + " or a directory) and the labels of --labels, by the retrain watcher's rules (holdout of the latest"
      + " labels, champion comparison, watch.promotion.policy).")
  String archive;

  @Option(names = "--since", paramLabel = "TIME", description = "With --archive: windows ending at or after"
      + " this time: an ISO-8601 instant (2026-11-01T00:00:00Z) or a duration before now (P30D). Default: the"
      + " archive's start.")
  String since;

  @Option(names = "--until", paramLabel = "TIME", description = "With --archive: windows ending before this"
      + " time (an instant or a duration before now). Default: the archive's end.")
  String until;

  @Option(names = "--labels", paramLabel = "SOURCE", description = "With --archive: topic (default; every"
      + " LabelEvent on watch.kafka.labelsTopic) or store (the labeling service's training export;"
      + " --labeling-url, --labeling-user and VIGIL_LABELING_PASSWORD). With --data: files (the directory's"
      + " label files; then the run follows the retrain watcher's rules as with --archive, instead of the"
      + " cold start).")
  String labels;

  @Option(names = "--labeling-url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8088",
      description = "With --labels store: the labeling service. Default ${DEFAULT-VALUE}.")
  String labelingUrl;

  @Option(names = "--labeling-user", paramLabel = "USER", description = "With --labels store: a reviewer's"
      + " account; its password is read from VIGIL_LABELING_PASSWORD.")
  String labelingUser;

  @Option(names = "--max-rows", paramLabel = "N", description = "With --archive or --labels files: newest vectors"
      + " kept for the run (default: watch.data.maxStoredFeatures).")
  Integer maxRows;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "smd, jumpstarter or nab; checked against the directory's layout (detected when omitted).")
  String format;

  @Option(names = "--entities", split = ",", paramLabel = "NAMES",
      description = "Only these entities (comma-separated). Default: all.")
  java.util.Set<String> entities = java.util.Set.of();

  @Option(names = "--out", paramLabel = "DIR", defaultValue = ".vigil/training",
      description = "Where the model directory is written (DIR/model). Default ${DEFAULT-VALUE}.")
  Path out;

  @Option(names = "--alias", paramLabel = "ALIAS", description = "Move this alias (e.g. champion) to the new version.")
  String alias;

  @Option(names = "--model-name", paramLabel = "NAME", description = "Registered model name (default: registry.modelName).")
  String modelName;

  @Option(names = "--registry", paramLabel = "URL", description = "Registry URL (default: registry.trackingUri).")
  String registry;

  @Option(names = "--s3-endpoint", paramLabel = "URL", description = "Artifact store endpoint (default: registry.s3Endpoint).")
  String s3Endpoint;

  @Option(names = "--no-registry", description = "Train and write the model locally only.")
  boolean noRegistry;

  @Option(names = "--seed", paramLabel = "S", description = "Seed (default: model.seed).")
  Long seed;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML file with training keys.")
  Path configFile;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    TrainingConfig config = effectiveConfig(System.getenv());
    if (watch) {
      if (archive != null || data != null) {
        throw new UserException("--watch reads Kafka: it takes neither --data nor --archive");
      }
      return watch(config, out);
    }
    if (archive != null && data != null) {
      throw new UserException("--data and --archive are two different sources: give one");
    }
    if (archive == null && data == null) {
      throw new UserException("--data or --archive is required (or --watch to retrain from Kafka)");
    }
    if (data != null) {
      TrainingOptions.checkData(data, format);
    }
    if (archive != null || labels != null) {
      return oneOff(config, System.getenv(), out);
    }
    ColdStartConfig m = config.model();
    RegistryClient client = null;
    if (!noRegistry) {
      TrainingConfig.Registry r = config.registry();
      client = new RegistryClient(ClientSettings.of(r.trackingUri(), r.s3Endpoint(), r.s3AccessKey(),
          r.s3SecretKey()), ModelEventPublisher.discarding(), Clock.systemUTC());
    }
    ProgressBar bar = progressBar(m.epochs());
    TrainingRun.Result result;
    try {
      result = new TrainingRun(config, client).run(data, entities, this.out, alias, ticks(bar));
    } catch (RegistryException e) {
      throw new UserException("registry " + config.registry().trackingUri() + ": " + e.getMessage()
          + " (is it running? `vigil up` or `vigil registry serve`; --no-registry trains locally)", e);
    } finally {
      bar.close();
      if (client != null) {
        client.close();
      }
    }
    out.printf(Locale.ROOT, "model:            %s%n", result.modelDir().toAbsolutePath());
    out.printf(Locale.ROOT, "feature set:      %s%n", result.featureSetVersion());
    out.printf(Locale.ROOT, "data snapshot:    %s (%d training rows)%n", result.dataSnapshot(), result.trainRows());
    out.printf(Locale.ROOT, "training:         %.1f s, final loss %.4f%n", result.seconds(),
        result.epochLosses().get(result.epochLosses().size() - 1));
    out.printf(Locale.ROOT, "threshold:        %.3f (common scale)%n", result.threshold());
    for (Map.Entry<String, Double> e : result.metrics().entrySet()) {
      out.printf(Locale.ROOT, "%-17s %.4f%n", e.getKey() + ":", e.getValue());
    }
    if (result.version() != null) {
      out.printf(Locale.ROOT, "registered:       %s version %s (run %s)%s%n", result.version().name(),
          result.version().version(), result.runId(), alias == null ? "" : ", alias " + alias);
    }
    out.flush();
    return 0;
  }

  /**
   * {@code --archive} (labels from the topic or the store), or {@code --data --labels files}: one run
   * by the retrain watcher's rules.
   */
  private int oneOff(TrainingConfig config, Map<String, String> env, PrintWriter out) {
    String source = labels != null ? labels : "topic";
    if (data != null && !source.equals("files")) {
      throw new UserException("with --data, --labels is files (the directory's label files), not " + source);
    }
    if (archive != null && source.equals("files")) {
      throw new UserException("--labels files needs --data: an archive has no label files");
    }
    if (noRegistry) {
      throw new UserException("a run with labels registers and compares with the champion: it needs the registry");
    }
    if (alias != null) {
      throw new UserException("a run with labels moves aliases by watch.promotion.policy (auto|review), not --alias");
    }
    Instant from = instant("--since", since);
    Instant to = instant("--until", until);
    if (from != null && to != null && !from.isBefore(to)) {
      throw new UserException("--since must be before --until");
    }
    TrainingConfig.Registry r = config.registry();
    WatchConfig w = config.watch();
    int rows = maxRows != null ? maxRows : w.data().maxStoredFeatures();
    if (rows < 1) {
      throw new UserException("--max-rows must be positive");
    }
    FeatureArchive archived = null;
    TrainingLabels answers = null;
    if (archive != null) {
      try {
        archived = FeatureArchive.open(archive, new FeatureArchive.S3(r.s3Endpoint(), r.s3AccessKey(),
            r.s3SecretKey(), r.s3Region()));
      } catch (IllegalArgumentException e) {
        throw new UserException("--archive " + archive + ": " + e.getMessage());
      }
      try {
        answers = switch (source) {
          case "topic" -> TrainingLabels.fromTopic(w.kafka().bootstrapServers(), w.kafka().labelsTopic(),
              Duration.ofSeconds(30));
          case "store" -> TrainingLabels.fromStore(labelingUrl, labelingUser, env.get("VIGIL_LABELING_PASSWORD"),
              Duration.ofSeconds(30));
          default -> throw new UserException("with --archive, --labels is topic or store, not " + source);
        };
      } catch (IllegalStateException | IllegalArgumentException | org.apache.kafka.common.KafkaException e) {
        throw new UserException("labels (" + source + "): " + e.getMessage(), e);
      }
      out.printf(Locale.ROOT, "labels:           %,d usable from %s (%,d records, %,d unusable)%n",
          answers.size(), answers.source(), answers.records(), answers.unusable());
      out.flush();
    } else if (from != null || to != null) {
      throw new UserException("--since and --until select a range of the archive: use them with --archive");
    }
    try (KafkaModelEventPublisher events = KafkaModelEventPublisher.create(w.kafka().bootstrapServers(),
            w.kafka().modelEventsTopic());
        RegistryClient client = new RegistryClient(ClientSettings.of(r.trackingUri(), r.s3Endpoint(),
            r.s3AccessKey(), r.s3SecretKey()), events, Clock.systemUTC())) {
      OneOffRun.Result res;
      try (ProgressBar bar = progressBar(config.model().epochs())) {
        EpochListener progress = ticks(bar);
        res = archived != null
            ? OneOffRun.onArchive(config, client, events, archived, from, to, rows, answers, progress, Clock.systemUTC())
            : OneOffRun.onDirectory(config, client, events, data, entities, rows, progress, Clock.systemUTC());
      }
      FeatureArchive.Stats a = res.archive();
      if (a != null) {
        out.printf(Locale.ROOT, "archive:          %s: %,d files read (%,d outside the range, %,d unreadable),"
            + " %,d vectors%n", archived.location(), a.files(), a.prunedFiles(), a.unreadableFiles(), a.vectors());
      } else {
        out.printf(Locale.ROOT, "data:             %s: %,d vectors, %,d labelled rows%n", data, res.vectors(),
            res.labels());
      }
      out.printf(Locale.ROOT, "rows:             %,d kept (%,d dropped), %,d of the labels have features%n",
          res.rows(), res.dropped(), res.labelsWithFeatures());
      RetrainDecision d = res.decision();
      out.printf(Locale.ROOT, "decision:         %s%s%n", d.outcome(), d.version() == null ? ""
          : " (version " + d.version() + ", label snapshot " + d.labelSnapshot() + ")");
      new java.util.TreeMap<>(d.metrics()).forEach((k, v) -> out.printf(Locale.ROOT, "%-24s %.4f%n", k + ":", v));
      out.printf(Locale.ROOT, "reason:           %s%n", d.reason());
      out.flush();
      return d.outcome() == RetrainDecision.Outcome.SKIPPED ? 3 : 0;
    } catch (RegistryException e) {
      throw new UserException("registry " + r.trackingUri() + ": " + e.getMessage()
          + " (is it running? `vigil up` or `vigil registry serve`)", e);
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new UserException((archive != null ? "--archive " + archive : "--data " + data) + ": "
          + e.getMessage(), e);
    }
  }

  /** Training epochs on stderr. */
  private static ProgressBar progressBar(int epochs) {
    return new ProgressBarBuilder().setTaskName("train").setInitialMax(epochs).setStyle(ProgressBarStyle.ASCII)
        .setUnit(" epochs", 1).setUpdateIntervalMillis(200).setConsumer(new ConsoleProgressBarConsumer(System.err))
        .build();
  }

  /** Moves {@code bar} to each finished epoch, with its loss. */
  private static EpochListener ticks(ProgressBar bar) {
    return (epoch, epochs, loss) -> {
      bar.stepTo(epoch);
      bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", loss));
    };
  }

  /** An ISO-8601 instant, or an ISO-8601 duration meaning that long before now (e.g. P7D). */
  private static Instant instant(String option, String value) {
    if (value == null) {
      return null;
    }
    try {
      if (value.startsWith("P") || value.startsWith("p")) {
        Duration ago = Duration.parse(value);
        if (ago.isNegative()) {
          throw new UserException(option + " takes a positive duration, not " + value);
        }
        return Instant.now().minus(ago);
      }
      return Instant.parse(value);
    } catch (java.time.format.DateTimeParseException e) {
      throw new UserException(option + " takes an ISO-8601 instant such as 2026-11-01T00:00:00Z or a duration"
          + " before now such as P7D, not " + value);
    }
  }

  /** {@code --watch}: the retrain watcher in this process until Ctrl-C. */
  private int watch(TrainingConfig config, PrintWriter out) {
    TrainingConfig.Registry r = config.registry();
    WatchConfig w = config.watch();
    try (KafkaModelEventPublisher events = KafkaModelEventPublisher.create(w.kafka().bootstrapServers(),
            w.kafka().modelEventsTopic());
        RegistryClient client = new RegistryClient(ClientSettings.of(r.trackingUri(), r.s3Endpoint(),
            r.s3AccessKey(), r.s3SecretKey()), events, Clock.systemUTC())) {
      RetrainWatcher watcher = new RetrainWatcher(config, client, events, d -> {
        out.printf(Locale.ROOT, "run %d (%s): %s%s - %s%n", d.run(), d.trigger(), d.outcome(),
            d.version() == null ? "" : " version " + d.version(), d.reason());
        out.flush();
      }, Clock.systemUTC()).start();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        watcher.close(Duration.ofSeconds(60));
        stopped.countDown();
      }, "vigil-train-watch-shutdown"));
      out.printf(Locale.ROOT, "watching %s, %s, %s on %s; model %s, policy %s (Ctrl-C stops)%n",
          w.kafka().labelsTopic(), w.kafka().driftTopic(), w.kafka().featuresTopic(),
          w.kafka().bootstrapServers(), r.modelName(), w.promotion().policy());
      out.flush();
      stopped.await();
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    } catch (IllegalStateException | RegistryException e) {
      throw new UserException("retrain watcher: " + e.getMessage(), e);
    }
  }

  TrainingConfig effectiveConfig(Map<String, String> env) {
    if (configFile != null && !Files.isRegularFile(configFile)) {
      throw new UserException("no configuration file " + configFile);
    }
    TrainingConfig c;
    try {
      c = TrainingConfig.loader().load(configFile, env);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    if (seed != null) {
      c = c.withModel(c.model().withSeed(seed));
    }
    TrainingConfig.Registry r = c.registry();
    return c.withRegistry(new TrainingConfig.Registry(registry != null ? registry : r.trackingUri(),
        s3Endpoint != null ? s3Endpoint : r.s3Endpoint(), r.s3AccessKey(), r.s3SecretKey(), r.s3Region(),
        r.experiment(), modelName != null ? modelName : r.modelName(), r.actor()));
  }
}
