package io.vigil.cli.replay;

import io.vigil.cli.ConfigOption;
import io.vigil.cli.KafkaClients;
import io.vigil.cli.VigilConfig;
import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.Split;
import io.vigil.schemas.topics.TopicInstaller;
import io.vigil.schemas.topics.VigilTopic;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vigil replay DIR}: a dataset directory to Kafka as telemetry. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {
      "Replay a telemetry directory (SMD layout, JumpStarter CSV or NAB CSV) to Kafka as"
          + " TelemetrySample records: every entity interleaved in event-time order, at full speed"
          + " or at N times real time.",
      "The input is checked completely before the first record is sent: malformed input stops"
          + " with file:line and nothing is written."})
public final class ReplayCommand implements Callable<Integer> {

  @Spec CommandSpec spec;
  @Mixin ConfigOption config;

  @Parameters(index = "0", paramLabel = "DIR", description = "Dataset directory.")
  Path dir;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      description = "Kafka to write to (default: kafka.bootstrapServers, else the embedded broker's"
          + " 127.0.0.1:kafka.port that `vigil up` runs).")
  String bootstrapServers;

  @Option(names = "--topic", description = "Topic (default: the configured telemetry topic).")
  String topic;

  @Option(names = "--speed", defaultValue = "0", paramLabel = "N",
      description = "Times real time, e.g. 60 sends one SMD minute per second. 0 = full speed (default).")
  double speed;

  @Option(names = "--split", defaultValue = "all", paramLabel = "train|test|all",
      description = "Which part of the data: train, test, or all (train then test; default).")
  String split;

  @Option(names = "--entities", split = ",", paramLabel = "NAME",
      description = "Only these entities (comma-separated); default all.")
  List<String> entities;

  @Option(names = "--start", paramLabel = "INSTANT",
      description = "Time of row 0 for data without timestamps (default ${DEFAULT-VALUE}).",
      defaultValue = "2026-01-01T00:00:00Z")
  Instant start;

  @Option(names = "--interval", paramLabel = "DURATION",
      description = "Time between rows for data without timestamps, ISO-8601 (PT1M); default: SMD 1 min,"
          + " JumpStarter 5 min.")
  Duration interval;

  @Option(names = "--no-progress", description = "Don't draw a progress bar.")
  boolean noProgress;

  @Override
  public Integer call() {
    VigilConfig cfg = config.load();
    String servers = bootstrapServers != null ? bootstrapServers
        : cfg.kafka().embedded() ? "127.0.0.1:" + cfg.kafka().port() : cfg.kafka().bootstrapServers();
    String target = topic != null ? topic : cfg.topicNames().name(VigilTopic.TELEMETRY);
    Split s;
    try {
      s = Split.valueOf(split.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--split must be train, test or all, not '" + split + "'");
    }
    DatasetOptions options = new DatasetOptions(s, start, interval,
        entities == null ? null : new HashSet<>(entities));
    Dataset dataset = Dataset.open(dir, options);
    PrintWriter out = spec.commandLine().getOut();

    try (Admin admin = KafkaClients.admin(servers)) {
      new TopicInstaller(admin, cfg.topicNames(), cfg.kafka().replicationFactor()).ensureAll();
    }
    Replayer.Result result;
    try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(servers, "vigil-replay");
        ConsoleProgress progress = noProgress ? null : new ConsoleProgress("replay")) {
      Replayer replayer = new Replayer(producer, target);
      result = replayer.replay(dataset, new Replayer.Options(speed),
          progress == null ? Replayer.Progress.NONE : progress);
    }
    out.printf(Locale.ROOT, "replayed %,d records of %d entities (%s) from %s to %s at %s in %.1f s"
            + " (%,.0f records/s)%n",
        result.records(), result.entities(), dataset.format(), dir, target,
        speed == 0 ? "full speed" : speed + "x real time",
        result.elapsed().toMillis() / 1000.0, result.recordsPerSecond());
    out.flush();
    return 0;
  }
}
