package io.vigil.cli.training;

import io.vigil.cli.UserException;
import io.vigil.config.ConfigException;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.KafkaModelEventPublisher;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RegistryException;
import io.vigil.training.ColdStartConfig;
import io.vigil.training.TrainingConfig;
import io.vigil.training.TrainingRun;
import io.vigil.training.watch.RetrainWatcher;
import io.vigil.training.watch.WatchConfig;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
      return watch(config, out);
    }
    if (data == null) {
      throw new UserException("--data is required (or --watch to retrain from Kafka)");
    }
    TrainingOptions.checkData(data, format);
    ColdStartConfig m = config.model();
    RegistryClient client = null;
    if (!noRegistry) {
      TrainingConfig.Registry r = config.registry();
      client = new RegistryClient(ClientSettings.of(r.trackingUri(), r.s3Endpoint(), r.s3AccessKey(),
          r.s3SecretKey()), ModelEventPublisher.discarding(), Clock.systemUTC());
    }
    ProgressBar bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(m.epochs())
        .setStyle(ProgressBarStyle.ASCII).setUnit(" epochs", 1).setUpdateIntervalMillis(200)
        .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    TrainingRun.Result result;
    try {
      result = new TrainingRun(config, client).run(data, entities, this.out, alias, (epoch, epochs, loss) -> {
        bar.stepTo(epoch);
        bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", loss));
      });
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
