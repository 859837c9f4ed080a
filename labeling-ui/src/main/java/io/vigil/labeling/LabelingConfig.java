package io.vigil.labeling;

import static java.util.Objects.requireNonNull;

import io.vigil.config.ConfigLoader;
import java.util.Locale;
import java.util.Set;

/**
 * The configuration of the labeling service. Loaded by {@link #loader()}: defaults, then a YAML file,
 * then environment variables prefixed {@code VIGIL_LABELING__} (e.g. {@code
 * VIGIL_LABELING__SERVER__PORT=8088}, {@code VIGIL_LABELING__SECURITY__SESSION_SECRET=...}).
 *
 * @param server where the HTTP server listens
 * @param db the SQL store (H2 file by default, PostgreSQL by URL)
 * @param kafka where label requests come from and labels go to
 * @param security sessions, login throttling, the first accounts
 * @param queue leases and overlap
 * @param quality agreement thresholds for the training export
 * @param registry the MLflow-compatible model registry
 */
public record LabelingConfig(
    Server server, Db db, Kafka kafka, Security security, Queue queue, Quality quality,
    Registry registry) {

  /** The environment prefix of this deployable's keys. */
  public static final String ENV_PREFIX = "VIGIL_LABELING__";

  /** Session secrets that ship in examples and must never run. */
  static final Set<String> KNOWN_DEFAULT_SECRETS =
      Set.of("", "changeme", "change-me", "secret", "default", "vigil", "password");

  public LabelingConfig {
    requireNonNull(server, "server");
    requireNonNull(db, "db");
    requireNonNull(kafka, "kafka");
    requireNonNull(security, "security");
    requireNonNull(queue, "queue");
    requireNonNull(quality, "quality");
    requireNonNull(registry, "registry");
  }

  /**
   * @param host bind address
   * @param port 0 = any free port
   * @param secureCookies mark session cookies {@code Secure} (set behind TLS)
   * @param shutdownGraceSeconds how long in-flight requests may take on stop
   */
  public record Server(String host, int port, boolean secureCookies, int shutdownGraceSeconds) {
    public Server {
      host = host == null || host.isBlank() ? "127.0.0.1" : host;
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("server.port must be in 0..65535: " + port);
      }
      if (shutdownGraceSeconds < 0) {
        throw new IllegalArgumentException("server.shutdownGraceSeconds must be >= 0");
      }
    }
  }

  /**
   * @param url JDBC URL: {@code jdbc:h2:file:...} or {@code jdbc:postgresql://...}
   * @param poolSize connection pool size
   */
  public record Db(String url, String user, String password, int poolSize) {
    public Db {
      requireNonNull(url, "db.url must be set");
      if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("db.url must be a jdbc:h2: or jdbc:postgresql: URL: " + url);
      }
      user = user == null ? "" : user;
      password = password == null ? "" : password;
      if (poolSize < 1 || poolSize > 200) {
        throw new IllegalArgumentException("db.poolSize must be in 1..200: " + poolSize);
      }
    }

    public boolean postgres() {
      return url.startsWith("jdbc:postgresql:");
    }
  }

  /**
   * @param enabled consume requests and publish labels; false = HTTP and database only
   * @param bootstrapServers Kafka bootstrap servers
   * @param groupId consumer group of the request consumer
   * @param labelRequestsTopic where label requests come from
   * @param labelsTopic where labels go
   * @param modelEventsTopic where promotion decisions go
   * @param dlqTopic where unreadable label requests go, with the reason
   * @param outboxMarkerTopic the relay's own log of published outbox ids (exactly-once restarts)
   * @param transactionalId the outbox relay's transactional id: one per database
   * @param relayIntervalMillis how often the relay looks for unsent rows when not woken
   */
  public record Kafka(boolean enabled, String bootstrapServers, String groupId,
      String labelRequestsTopic, String labelsTopic, String modelEventsTopic, String dlqTopic,
      String outboxMarkerTopic, String transactionalId, int relayIntervalMillis) {
    public Kafka {
      if (enabled && (bootstrapServers == null || bootstrapServers.isBlank())) {
        throw new IllegalArgumentException("kafka.bootstrapServers is required when kafka.enabled");
      }
      for (String t : new String[] {labelRequestsTopic, labelsTopic, modelEventsTopic, dlqTopic,
          outboxMarkerTopic}) {
        if (t == null || !t.matches("[a-zA-Z0-9._-]{1,249}")) {
          throw new IllegalArgumentException("kafka topic names must be legal Kafka names: " + t);
        }
      }
      requireNonNull(groupId, "kafka.groupId");
      requireNonNull(transactionalId, "kafka.transactionalId");
      if (relayIntervalMillis < 10) {
        throw new IllegalArgumentException("kafka.relayIntervalMillis must be >= 10");
      }
    }

    public Kafka withBootstrapServers(String servers) {
      return new Kafka(true, servers, groupId, labelRequestsTopic, labelsTopic, modelEventsTopic,
          dlqTopic, outboxMarkerTopic, transactionalId, relayIntervalMillis);
    }
  }

  /**
   * @param sessionSecret HMAC key for session ids; at least 32 characters, never a known default
   * @param sessionHours session lifetime
   * @param loginAttemptsPerMinute per user name and per client address
   * @param adminUser first admin, created at start when missing
   * @param adminPassword the first admin's password; required, never empty or a default
   * @param annotatorUser optional first annotator ("" = none)
   * @param annotatorPassword its password (required when annotatorUser is set)
   */
  public record Security(String sessionSecret, int sessionHours, int loginAttemptsPerMinute,
      String adminUser, String adminPassword, String annotatorUser, String annotatorPassword) {
    public Security {
      sessionSecret = sessionSecret == null ? "" : sessionSecret;
      adminUser = adminUser == null ? "" : adminUser;
      adminPassword = adminPassword == null ? "" : adminPassword;
      annotatorUser = annotatorUser == null ? "" : annotatorUser;
      annotatorPassword = annotatorPassword == null ? "" : annotatorPassword;
      if (sessionHours < 1) {
        throw new IllegalArgumentException("security.sessionHours must be >= 1");
      }
      if (loginAttemptsPerMinute < 1) {
        throw new IllegalArgumentException("security.loginAttemptsPerMinute must be >= 1");
      }
    }

    /** Refuses to run with an empty, short or well-known secret or first password. */
    public void requireSafe() {
      if (sessionSecret.length() < 32
          || KNOWN_DEFAULT_SECRETS.contains(sessionSecret.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(
            "security.sessionSecret must be set to a random value of at least 32 characters"
                + " (VIGIL_LABELING__SECURITY__SESSION_SECRET)");
      }
      if (!adminUser.isBlank()) {
        requireSafePassword("security.adminPassword", adminPassword);
      }
      if (!annotatorUser.isBlank()) {
        requireSafePassword("security.annotatorPassword", annotatorPassword);
      }
    }

    static void requireSafePassword(String key, String password) {
      if (password.length() < 8 || KNOWN_DEFAULT_SECRETS.contains(password.toLowerCase(Locale.ROOT))
          || password.equalsIgnoreCase("admin")) {
        throw new IllegalArgumentException(
            key + " must be set to a non-default password of at least 8 characters");
      }
    }
  }

  /**
   * @param leaseSeconds how long a claimed task stays with its annotator
   * @param overlapShare share of tasks (0..1) that go to several annotators
   * @param overlapAnnotators how many annotators label an overlapped task (>= 2)
   */
  public record Queue(int leaseSeconds, double overlapShare, int overlapAnnotators) {
    public Queue {
      if (leaseSeconds < 1) {
        throw new IllegalArgumentException("queue.leaseSeconds must be >= 1");
      }
      if (!(overlapShare >= 0 && overlapShare <= 1)) {
        throw new IllegalArgumentException("queue.overlapShare must be in 0..1: " + overlapShare);
      }
      if (overlapAnnotators < 2 || overlapAnnotators > 10) {
        throw new IllegalArgumentException("queue.overlapAnnotators must be in 2..10");
      }
    }
  }

  /**
   * @param excludeUnresolvedConflicts leave items whose annotators disagree (and no reviewer
   *     resolved) out of the training export
   * @param minAnnotatorKappa leave out the labels of annotators whose kappa against the others is
   *     below this (-1 = keep all)
   */
  public record Quality(boolean excludeUnresolvedConflicts, double minAnnotatorKappa) {
    public Quality {
      if (!(minAnnotatorKappa >= -1 && minAnnotatorKappa <= 1)) {
        throw new IllegalArgumentException("quality.minAnnotatorKappa must be in -1..1");
      }
    }
  }

  /**
   * @param baseUrl MLflow REST base URL, e.g. http://127.0.0.1:5000 ("" = no registry: the models
   *     page says so)
   * @param modelName the registered model the models page shows
   * @param timeoutMillis per request
   */
  public record Registry(String baseUrl, String modelName, int timeoutMillis) {
    public Registry {
      baseUrl = baseUrl == null ? "" : baseUrl.replaceAll("/+$", "");
      if (!baseUrl.isEmpty() && !baseUrl.matches("https?://.+")) {
        throw new IllegalArgumentException("registry.baseUrl must be an http(s) URL: " + baseUrl);
      }
      requireNonNull(modelName, "registry.modelName");
      if (timeoutMillis < 1) {
        throw new IllegalArgumentException("registry.timeoutMillis must be >= 1");
      }
    }
  }

  public static LabelingConfig defaults() {
    return new LabelingConfig(
        new Server("127.0.0.1", 8088, false, 10),
        new Db("jdbc:h2:file:./.vigil/labeling/labels;WRITE_DELAY=0", "sa", "", 10),
        new Kafka(true, "127.0.0.1:9092", "vigil-labeling", "vigil.label-requests", "vigil.labels",
            "vigil.model-events", "vigil.dlq.label-requests", "vigil.labeling.outbox-marker",
            "vigil-labeling-outbox", 200),
        new Security("", 12, 10, "admin", "", "", ""),
        new Queue(300, 0.1, 2),
        new Quality(true, -1),
        new Registry("", "vigil-anomaly", 5000));
  }

  public static ConfigLoader<LabelingConfig> loader() {
    return new ConfigLoader<>(LabelingConfig.class, defaults(), ENV_PREFIX, Set.of());
  }

  public LabelingConfig withServer(Server s) {
    return new LabelingConfig(s, db, kafka, security, queue, quality, registry);
  }

  public LabelingConfig withDb(Db d) {
    return new LabelingConfig(server, d, kafka, security, queue, quality, registry);
  }

  public LabelingConfig withKafka(Kafka k) {
    return new LabelingConfig(server, db, k, security, queue, quality, registry);
  }

  public LabelingConfig withSecurity(Security s) {
    return new LabelingConfig(server, db, kafka, s, queue, quality, registry);
  }

  public LabelingConfig withQueue(Queue q) {
    return new LabelingConfig(server, db, kafka, security, q, quality, registry);
  }

  public LabelingConfig withRegistry(Registry r) {
    return new LabelingConfig(server, db, kafka, security, queue, quality, r);
  }
}
