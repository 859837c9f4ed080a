package io.vigil.cli.labeling;

import io.vigil.cli.UserException;
import io.vigil.labeling.LabelingConfig;
import io.vigil.labeling.LabelingServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vigil labeling serve}: runs the labeling UI until Ctrl-C. Configuration: defaults, then
 * {@code --config FILE} (or {@code $VIGIL_LABELING_CONFIG}), then {@code VIGIL_LABELING__*}
 * environment variables, then the options given here.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the labeling UI (Ctrl-C stops it gracefully).")
public final class LabelingServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "YAML file with labeling keys (see `vigil labeling defaults`).")
  Path config;

  @Option(names = "--host", description = "Bind address (default: server.host, 127.0.0.1).")
  String host;

  @Option(names = {"-p", "--port"}, description = "HTTP port (default: server.port, 8088; 0 = any free port).")
  Integer port;

  @Option(names = "--db", paramLabel = "JDBC_URL",
      description = "jdbc:h2:file:... or jdbc:postgresql://... (default: db.url, an H2 file under .vigil/labeling).")
  String db;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka (default: kafka.bootstrapServers).")
  String bootstrapServers;

  @Option(names = "--no-kafka", description = "Serve the database only: no request consumer, no outbox relay.")
  boolean noKafka;

  @Option(names = "--registry", paramLabel = "URL", description = "MLflow REST base URL of the model registry.")
  String registry;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    LabelingConfig c = load(System.getenv());
    LabelingServer server;
    try {
      server = LabelingServer.start(c);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    } catch (IllegalStateException e) {
      throw new UserException("cannot start: " + e.getMessage()
          + " (is Kafka running? --no-kafka serves without it)", e);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "labeling-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.println("labeling UI on " + server.url() + " (database " + redact(c.db().url()) + ", Kafka "
        + (c.kafka().enabled() ? c.kafka().bootstrapServers() : "off") + "); Ctrl-C stops it");
    out.flush();
    stopped.await();
    return 0;
  }

  LabelingConfig load(Map<String, String> env) {
    Path file = config;
    if (file == null && env.get("VIGIL_LABELING_CONFIG") != null) {
      file = Path.of(env.get("VIGIL_LABELING_CONFIG"));
    }
    if (file != null && !Files.isRegularFile(file)) {
      throw new UserException("config file " + file + " does not exist");
    }
    LabelingConfig c = LabelingConfig.loader().load(file, env);
    if (host != null || port != null) {
      LabelingConfig.Server s = c.server();
      c = c.withServer(new LabelingConfig.Server(host != null ? host : s.host(),
          port != null ? port : s.port(), s.secureCookies(), s.shutdownGraceSeconds()));
    }
    if (db != null) {
      c = c.withDb(new LabelingConfig.Db(db, c.db().user(), c.db().password(), c.db().poolSize()));
    }
    LabelingConfig.Kafka k = c.kafka();
    if (noKafka) {
      c = c.withKafka(new LabelingConfig.Kafka(false, k.bootstrapServers(), k.groupId(), k.labelRequestsTopic(),
          k.labelsTopic(), k.modelEventsTopic(), k.dlqTopic(), k.outboxMarkerTopic(), k.transactionalId(),
          k.relayIntervalMillis()));
    } else if (bootstrapServers != null) {
      c = c.withKafka(k.withBootstrapServers(bootstrapServers));
    }
    if (registry != null) {
      c = c.withRegistry(new LabelingConfig.Registry(registry, c.registry().modelName(),
          c.registry().timeoutMillis()));
    }
    if (c.db().url().startsWith("jdbc:h2:file:./")) {
      try {
        Files.createDirectories(Path.of(".vigil", "labeling"));
      } catch (java.io.IOException e) {
        throw new UserException("cannot create .vigil/labeling: " + e.getMessage(), e);
      }
    }
    return c;
  }

  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
  }
}
