package io.vigil.embedded;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker in KRaft mode (combined broker and controller, no ZooKeeper), in this JVM.
 *
 * <p>The log directory is formatted on first start and reused after: a broker started again over
 * the same directory keeps its topics and records. Single-node settings (replication factor 1 for
 * the internal topics, no initial rebalance delay) are applied so consumer groups and transactions
 * work. Thread-safe start/close; {@link #close()} is idempotent.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Settings settings;
  private final Path logDir;
  private final boolean ownsDir;
  private KafkaRaftServer server;
  private int brokerPort;
  private int controllerPort;

  /** How to run the broker. Port 0 means a free port; a null directory means a temporary one. */
  public record Settings(
      Path logDir, String host, int port, int controllerPort, Map<String, String> overrides) {
    public Settings {
      host = host == null || host.isBlank() ? "127.0.0.1" : host;
      if (port < 0 || port > 65535 || controllerPort < 0 || controllerPort > 65535) {
        throw new IllegalArgumentException("ports must be in 0..65535");
      }
      overrides = Map.copyOf(overrides == null ? Map.of() : overrides);
    }

    /** A temporary broker on free ports. */
    public static Settings ephemeral() {
      return new Settings(null, "127.0.0.1", 0, 0, Map.of());
    }
  }

  private EmbeddedKafka(Settings settings) throws IOException {
    this.settings = requireNonNull(settings, "settings");
    if (settings.logDir() == null) {
      this.logDir = Files.createTempDirectory("vigil-kafka-");
      this.ownsDir = true;
    } else {
      this.logDir = Files.createDirectories(settings.logDir());
      this.ownsDir = false;
    }
  }

  /** Starts a broker; returns once it accepts requests. */
  public static EmbeddedKafka start(Settings settings) {
    try {
      EmbeddedKafka kafka = new EmbeddedKafka(settings);
      kafka.startServer();
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the Kafka log directory", e);
    }
  }

  /** A temporary broker on free ports, removed on close. */
  public static EmbeddedKafka startEphemeral() {
    return start(Settings.ephemeral());
  }

  private synchronized void startServer() {
    long t0 = System.nanoTime();
    brokerPort = FreePorts.orFree(settings.port());
    controllerPort = FreePorts.orFree(settings.controllerPort());
    String host = settings.host();
    Map<String, String> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@" + host + ":" + controllerPort);
    props.put(
        "listeners", "PLAINTEXT://" + host + ":" + brokerPort + ",CONTROLLER://" + host + ":" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://" + host + ":" + brokerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("log.dirs", logDir.toString());
    props.put("num.partitions", "1");
    props.put("auto.create.topics.enable", "true");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
    props.putAll(settings.overrides());

    format(props);
    Properties p = new Properties();
    p.putAll(props);
    server = new KafkaRaftServer(new KafkaConfig(p, false), Time.SYSTEM);
    server.startup();
    awaitReady(Duration.ofSeconds(60));
    LOG.info(
        "Kafka broker (KRaft) ready at {} in {} ms, log dir {}",
        bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
        logDir);
  }

  private void format(Map<String, String> props) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return; // formatted before: keep the cluster id and the data
    }
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
      new Formatter()
          .setPrintStream(quiet)
          .setNodeId(1)
          .setClusterId(Uuid.randomUuid().toString())
          .addDirectory(logDir.toString())
          .setMetadataLogDirectory(logDir.toString())
          .setReleaseVersion(MetadataVersion.latestProduction())
          .setControllerListenerName(props.get("controller.listener.names"))
          .setIgnoreFormatted(true)
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format the KRaft log directory " + logDir, e);
    }
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try (Admin admin = Admin.create(adminConfig())) {
        admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
        admin.listTopics().names().get(5, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        last = e;
      }
    }
    throw new IllegalStateException("Kafka broker did not become ready in " + timeout, last);
  }

  private Map<String, Object> adminConfig() {
    return Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
  }

  /** {@code host:port} for clients. */
  public String bootstrapServers() {
    return settings.host() + ":" + brokerPort;
  }

  public int port() {
    return brokerPort;
  }

  public Path logDir() {
    return logDir;
  }

  /** A new admin client for this broker; the caller closes it. */
  public Admin admin() {
    return Admin.create(adminConfig());
  }

  @Override
  public synchronized void close() {
    if (server == null) {
      return;
    }
    KafkaRaftServer s = server;
    server = null;
    try {
      s.shutdown();
      s.awaitShutdown();
      LOG.info("Kafka broker at {}:{} stopped", settings.host(), brokerPort);
    } finally {
      if (ownsDir) {
        Directories.deleteRecursively(logDir);
      }
    }
  }
}
