package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.vigil.config.ConfigLoader;
import java.time.Duration;
import java.util.Set;

/**
 * Configuration of the serving deployable: defaults ({@link #defaults()}), then a YAML file, then
 * {@code VIGIL_SERVING__*} environment variables (e.g. {@code VIGIL_SERVING__GRPC__PORT}, {@code
 * VIGIL_SERVING__BATCHING__MAX_BATCH_SIZE}); see {@link #loader()}. Every value is checked here,
 * at start-up.
 */
public record ServingConfig(Grpc grpc, Keepalive keepalive, Security security, Metrics metrics,
    ModelSelection model, Batching batching, Registry registry, Kafka kafka) {

  public static final String ENV_PREFIX = "VIGIL_SERVING__";

  public ServingConfig {
    requireNonNull(grpc, "grpc must be set");
    requireNonNull(keepalive, "keepalive must be set");
    requireNonNull(security, "security must be set");
    requireNonNull(metrics, "metrics must be set");
    requireNonNull(model, "model must be set");
    requireNonNull(batching, "batching must be set");
    requireNonNull(registry, "registry must be set");
    requireNonNull(kafka, "kafka must be set");
  }

  /**
   * @param host interface to bind
   * @param port gRPC port (0 = any free port)
   * @param executorThreads threads that run request handlers (they never block on the model); 0
   *     runs them on the transport's event loops, without a hand-off to another thread
   * @param executorQueue bound of the handler queue
   * @param maxMessageBytes largest request accepted
   * @param shutdownGraceSeconds how long in-flight calls may finish on stop
   * @param flowControlWindowBytes the HTTP/2 receive window of each connection (and stream): how much
   *     request data a client may send ahead of the server reading it. gRPC's default of 1 MiB is less
   *     than a few concurrent 256-row requests (314 KB each for 307 features): the senders then stall on
   *     window updates and send smaller frames
   */
  public record Grpc(String host, int port, int executorThreads, int executorQueue,
      int maxMessageBytes, int shutdownGraceSeconds, int flowControlWindowBytes) {
    public Grpc {
      requireNonNull(host, "grpc.host must be set");
      checkPort(port, "grpc.port");
      nonNegative(executorThreads, "grpc.executorThreads");
      positive(executorQueue, "grpc.executorQueue");
      positive(maxMessageBytes, "grpc.maxMessageBytes");
      nonNegative(shutdownGraceSeconds, "grpc.shutdownGraceSeconds");
      if (flowControlWindowBytes < 65_535) {
        throw new IllegalArgumentException("grpc.flowControlWindowBytes must be at least 65535 (HTTP/2's initial"
            + " window), not " + flowControlWindowBytes);
      }
    }
  }

  /**
   * The HTTP/2 keepalive policy of the gRPC transport (Netty). 0 turns a limit off.
   *
   * @param timeSeconds the server pings a connection that has been quiet this long
   * @param timeoutSeconds and closes it when the ping is not answered within this
   * @param permitTimeSeconds clients may ping at most this often; more often gets the connection
   *     closed (GOAWAY {@code too_many_pings})
   * @param permitWithoutCalls whether clients may ping while they have no call open
   * @param maxConnectionIdleSeconds a connection without calls for this long is closed (0 = never)
   * @param maxConnectionAgeSeconds a connection older than this is asked to go away, so that
   *     clients reconnect and spread over replicas (0 = never)
   * @param maxConnectionAgeGraceSeconds calls still running on a connection that reached its
   *     maximum age may finish for this long
   */
  public record Keepalive(int timeSeconds, int timeoutSeconds, int permitTimeSeconds,
      boolean permitWithoutCalls, int maxConnectionIdleSeconds, int maxConnectionAgeSeconds,
      int maxConnectionAgeGraceSeconds) {
    public Keepalive {
      positive(timeSeconds, "keepalive.timeSeconds");
      positive(timeoutSeconds, "keepalive.timeoutSeconds");
      nonNegative(permitTimeSeconds, "keepalive.permitTimeSeconds");
      nonNegative(maxConnectionIdleSeconds, "keepalive.maxConnectionIdleSeconds");
      nonNegative(maxConnectionAgeSeconds, "keepalive.maxConnectionAgeSeconds");
      nonNegative(maxConnectionAgeGraceSeconds, "keepalive.maxConnectionAgeGraceSeconds");
    }
  }

  /**
   * Transport security and caller authentication, both optional.
   *
   * @param tlsCertFile PEM certificate chain of the server; with {@code tlsKeyFile}, gRPC is
   *     served over TLS only (null = plaintext)
   * @param tlsKeyFile PEM PKCS#8 private key of that certificate
   * @param authTokens comma-separated bearer tokens; when set, every call except gRPC health and
   *     reflection needs {@code authorization: Bearer <token>} (null = no authentication)
   */
  public record Security(String tlsCertFile, String tlsKeyFile, String authTokens) {
    public Security {
      tlsCertFile = blankToNull(tlsCertFile);
      tlsKeyFile = blankToNull(tlsKeyFile);
      authTokens = blankToNull(authTokens);
      if ((tlsCertFile == null) != (tlsKeyFile == null)) {
        throw new IllegalArgumentException("security.tlsCertFile and security.tlsKeyFile must be set together");
      }
      if (authTokens != null && tokens(authTokens).isEmpty()) {
        throw new IllegalArgumentException("security.authTokens holds no token");
      }
    }

    public boolean tls() {
      return tlsCertFile != null;
    }

    /** The accepted bearer tokens; empty when authentication is off. */
    public java.util.List<String> tokenList() {
      return authTokens == null ? java.util.List.of() : tokens(authTokens);
    }

    private static java.util.List<String> tokens(String s) {
      return java.util.Arrays.stream(s.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
    }

    @Override
    public String toString() {
      return "Security[tls=" + tls() + ", auth=" + (authTokens != null) + "]";
    }
  }

  /** Prometheus {@code /metrics} and {@code /health} over HTTP. */
  public record Metrics(boolean enabled, String host, int port) {
    public Metrics {
      requireNonNull(host, "metrics.host must be set");
      checkPort(port, "metrics.port");
    }
  }

  /**
   * Which model to serve.
   *
   * @param name registered model name (also the OIP model name)
   * @param alias alias to follow (hot swap when it moves); ignored when {@code version} is set
   * @param version a pinned version, or null to follow the alias
   * @param shadowAlias alias scored alongside on the same inputs and only logged (e.g.
   *     challenger), or null for none
   * @param pollIntervalSeconds how often the aliases are re-read, besides the model events
   * @param workDir where downloaded versions are kept while loaded
   * @param warmupBatches batches run through a new version before it takes traffic
   * @param drainTimeoutSeconds how long a replaced version may finish its in-flight requests
   */
  public record ModelSelection(String name, String alias, String version, String shadowAlias,
      int pollIntervalSeconds, String workDir, int warmupBatches, int drainTimeoutSeconds) {
    public ModelSelection {
      requireNonNull(name, "model.name must be set");
      requireNonNull(alias, "model.alias must be set");
      if (name.isBlank() || alias.isBlank()) {
        throw new IllegalArgumentException("model.name and model.alias must not be blank");
      }
      if (version != null && version.isBlank()) {
        version = null;
      }
      if (shadowAlias != null && shadowAlias.isBlank()) {
        shadowAlias = null;
      }
      if (shadowAlias != null && shadowAlias.equals(alias)) {
        throw new IllegalArgumentException("model.shadowAlias must differ from model.alias");
      }
      positive(pollIntervalSeconds, "model.pollIntervalSeconds");
      requireNonNull(workDir, "model.workDir must be set");
      nonNegative(warmupBatches, "model.warmupBatches");
      nonNegative(drainTimeoutSeconds, "model.drainTimeoutSeconds");
    }

    public Duration pollInterval() {
      return Duration.ofSeconds(pollIntervalSeconds);
    }
  }

  /**
   * Dynamic batching: concurrent requests are queued and scored together as one tensor.
   *
   * @param enabled false = every request is its own model call
   * @param maxBatchSize most rows in one model call, and in one request
   * @param maxQueueDelayMicros how long the first queued request may wait for others
   * @param queueCapacity requests waiting at most; beyond that, RESOURCE_EXHAUSTED
   * @param workers model calls running at once (one DJL predictor each)
   */
  public record Batching(boolean enabled, int maxBatchSize, int maxQueueDelayMicros,
      int queueCapacity, int workers) {
    public Batching {
      if (maxBatchSize < 1 || maxBatchSize > 65_536) {
        throw new IllegalArgumentException("batching.maxBatchSize must be in 1..65536: " + maxBatchSize);
      }
      nonNegative(maxQueueDelayMicros, "batching.maxQueueDelayMicros");
      positive(queueCapacity, "batching.queueCapacity");
      if (workers < 1 || workers > 64) {
        throw new IllegalArgumentException("batching.workers must be in 1..64: " + workers);
      }
    }

    public Batching withEnabled(boolean on) {
      return new Batching(on, maxBatchSize, maxQueueDelayMicros, queueCapacity, workers);
    }
  }

  /** The model registry (MLflow API) and the S3 store of its artifacts. */
  public record Registry(String trackingUri, String s3Endpoint, String s3AccessKey,
      String s3SecretKey, String s3Region) {
    public Registry {
      requireNonNull(trackingUri, "registry.trackingUri must be set");
      requireNonNull(s3Endpoint, "registry.s3Endpoint must be set");
    }

    @Override
    public String toString() {
      return "Registry[" + trackingUri + ", s3=" + s3Endpoint + "]";
    }
  }

  /**
   * @param enabled false = no prediction log and no model events (the aliases are still polled)
   * @param logBufferSize predictions buffered for Kafka; beyond that they are dropped and counted
   */
  public record Kafka(boolean enabled, String bootstrapServers, String predictionsTopic,
      String modelEventsTopic, int logBufferSize) {
    public Kafka {
      requireNonNull(bootstrapServers, "kafka.bootstrapServers must be set");
      requireNonNull(predictionsTopic, "kafka.predictionsTopic must be set");
      requireNonNull(modelEventsTopic, "kafka.modelEventsTopic must be set");
      positive(logBufferSize, "kafka.logBufferSize");
    }
  }

  public static ServingConfig defaults() {
    return new ServingConfig(
        new Grpc("127.0.0.1", 8001, 0, 10_000, 16 * 1024 * 1024, 10, 8 * 1024 * 1024),
        new Keepalive(60, 20, 10, false, 0, 0, 30),
        new Security(null, null, null),
        new Metrics(true, "127.0.0.1", 8002),
        new ModelSelection("anomaly-detector", "champion", null, null, 30, ".vigil/serving", 3, 30),
        new Batching(true, 64, 2_000, 4_096, 2),
        new Registry("http://127.0.0.1:5000", "http://127.0.0.1:9000", "vigil", "vigil-secret-key",
            "us-east-1"),
        new Kafka(true, "127.0.0.1:9092", "vigil.predictions", "vigil.model-events", 65_536));
  }

  public static ConfigLoader<ServingConfig> loader() {
    return new ConfigLoader<>(ServingConfig.class, defaults(), ENV_PREFIX, Set.of());
  }

  public ServingConfig withGrpc(Grpc v) {
    return new ServingConfig(v, keepalive, security, metrics, model, batching, registry, kafka);
  }

  public ServingConfig withKeepalive(Keepalive v) {
    return new ServingConfig(grpc, v, security, metrics, model, batching, registry, kafka);
  }

  public ServingConfig withSecurity(Security v) {
    return new ServingConfig(grpc, keepalive, v, metrics, model, batching, registry, kafka);
  }

  public ServingConfig withMetrics(Metrics v) {
    return new ServingConfig(grpc, keepalive, security, v, model, batching, registry, kafka);
  }

  public ServingConfig withModel(ModelSelection v) {
    return new ServingConfig(grpc, keepalive, security, metrics, v, batching, registry, kafka);
  }

  public ServingConfig withBatching(Batching v) {
    return new ServingConfig(grpc, keepalive, security, metrics, model, v, registry, kafka);
  }

  public ServingConfig withRegistry(Registry v) {
    return new ServingConfig(grpc, keepalive, security, metrics, model, batching, v, kafka);
  }

  public ServingConfig withKafka(Kafka v) {
    return new ServingConfig(grpc, keepalive, security, metrics, model, batching, registry, v);
  }

  private static void checkPort(int p, String key) {
    if (p < 0 || p > 65_535) {
      throw new IllegalArgumentException(key + " must be in 0..65535 (0 = any free port): " + p);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static void positive(int v, String key) {
    if (v < 1) {
      throw new IllegalArgumentException(key + " must be >= 1: " + v);
    }
  }

  private static void nonNegative(int v, String key) {
    if (v < 0) {
      throw new IllegalArgumentException(key + " must be >= 0: " + v);
    }
  }
}
