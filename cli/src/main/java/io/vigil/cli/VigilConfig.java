package io.vigil.cli;

import static java.util.Objects.requireNonNull;

import io.vigil.config.ConfigLoader;
import io.vigil.schemas.topics.TopicNames;
import io.vigil.schemas.topics.VigilTopic;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The configuration of the {@code vigil} launcher: where the embedded parts keep their data, and
 * whether each part is embedded or external. Loaded from defaults, then {@code --config FILE} (or
 * {@code $VIGIL_CONFIG}), then {@code VIGIL_*} environment variables; see {@link ConfigLoader}.
 * {@code vigil config defaults} prints every key with its default.
 */
public record VigilConfig(String workDir, Kafka kafka, S3 s3, Flink flink, Registry registry,
    Labeling labeling, Loop loop, Map<String, String> topics, Demo demo) {

  /** Environment variables that are not this launcher's keys (prefixes end in *: other deployables). */
  public static final Set<String> RESERVED_ENV =
      Set.of("VIGIL_HOME", "VIGIL_CONFIG", "VIGIL_JAVA_OPTS", "VIGIL_LOG_FORMAT", "VIGIL_LOG_LEVEL",
          "VIGIL_REGISTRY__*", "VIGIL_FEATURE_PIPELINE__*", "VIGIL_LABELING__*", "VIGIL_SERVING__*",
          "VIGIL_TRAINING__*", "VIGIL_DRIFT__*", "VIGIL_LABEL_REQUESTS__*", "VIGIL_SCORING__*", "VIGIL_TEST_*");

  public VigilConfig {
    requireNonNull(workDir, "workDir must be set");
    if (workDir.isBlank()) {
      throw new IllegalArgumentException("workDir must not be blank");
    }
    requireNonNull(kafka, "kafka");
    requireNonNull(s3, "s3");
    requireNonNull(flink, "flink");
    requireNonNull(registry, "registry");
    requireNonNull(labeling, "labeling");
    requireNonNull(loop, "loop");
    requireNonNull(demo, "demo");
    topics = Map.copyOf(topics == null ? Map.of() : topics);
    topicNames(topics); // validates
  }

  /**
   * Kafka: an embedded KRaft broker (data under {@code workDir/kafka}) or an external cluster.
   *
   * @param embedded start a broker in this process
   * @param bootstrapServers external cluster; ignored when embedded
   * @param port embedded broker port, 0 = any free port
   * @param controllerPort embedded controller port, 0 = any free port
   * @param replicationFactor for topics Vigil creates
   */
  public record Kafka(boolean embedded, String bootstrapServers, int port, int controllerPort,
      short replicationFactor) {
    public Kafka {
      if (!embedded && (bootstrapServers == null || bootstrapServers.isBlank())) {
        throw new IllegalArgumentException("kafka.bootstrapServers is required when kafka.embedded is false");
      }
      checkPort("kafka.port", port);
      checkPort("kafka.controllerPort", controllerPort);
      if (replicationFactor < 1) {
        throw new IllegalArgumentException("kafka.replicationFactor must be >= 1");
      }
    }
  }

  /**
   * Object store: an embedded S3-compatible server (data under {@code workDir/s3}) or MinIO/S3.
   *
   * @param embedded start s3proxy in this process
   * @param endpoint external endpoint, e.g. http://minio:9000; ignored when embedded
   * @param port embedded server port, 0 = any free port
   * @param buckets created at start when missing
   */
  public record S3(boolean embedded, String endpoint, int port, String accessKey, String secretKey,
      String region, List<String> buckets) {
    public S3 {
      if (!embedded && (endpoint == null || endpoint.isBlank())) {
        throw new IllegalArgumentException("s3.endpoint is required when s3.embedded is false");
      }
      checkPort("s3.port", port);
      requireNonNull(accessKey, "s3.accessKey must be set");
      requireNonNull(secretKey, "s3.secretKey must be set");
      requireNonNull(region, "s3.region must be set");
      buckets = List.copyOf(buckets == null ? List.of() : buckets);
      for (String b : buckets) {
        if (!b.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
          throw new IllegalArgumentException("s3.buckets: '" + b + "' is not a valid bucket name");
        }
      }
    }
  }

  /**
   * Flink: a local MiniCluster with REST API and web UI, or an external cluster's REST endpoint.
   *
   * @param embedded start a MiniCluster in this process
   * @param jobManager external Flink REST endpoint, e.g. http://flink-jobmanager:8081
   * @param restPort MiniCluster REST/web UI port, 0 = any free port
   * @param slots MiniCluster task slots
   * @param featurePipeline submit the feature job on `up`
   */
  public record Flink(boolean embedded, String jobManager, int restPort, int slots, boolean featurePipeline) {
    public Flink {
      if (!embedded && (jobManager == null || jobManager.isBlank())) {
        throw new IllegalArgumentException("flink.jobManager is required when flink.embedded is false");
      }
      checkPort("flink.restPort", restPort);
      if (slots < 1) {
        throw new IllegalArgumentException("flink.slots must be >= 1");
      }
    }
  }

  /**
   * Model registry: the embedded MLflow-compatible server (metadata in H2 under {@code
   * workDir/registry}, artifacts in the S3 bucket {@code vigil-models}) or an external MLflow server.
   *
   * @param url external MLflow tracking URL; ignored when embedded
   * @param port embedded server port, 0 = any free port
   */
  public record Registry(boolean embedded, String url, int port) {
    public Registry {
      if (!embedded && (url == null || url.isBlank())) {
        throw new IllegalArgumentException("registry.url is required when registry.embedded is false");
      }
      checkPort("registry.port", port);
    }
  }

  /**
   * The labeling UI (data in H2 under {@code workDir/labeling}). Its session secret and the first
   * accounts' passwords are generated on the first {@code up} and kept in {@code
   * workDir/labeling/credentials.properties}.
   *
   * @param port HTTP port, 0 = any free port
   */
  public record Labeling(boolean enabled, int port) {
    public Labeling {
      checkPort("labeling.port", port);
    }
  }

  /**
   * The learning loop around the infrastructure: which of its parts {@code vigil up} runs. Each
   * part's own settings come from its configuration (environment {@code VIGIL_SERVING__*}, {@code
   * VIGIL_SCORING__*}, {@code VIGIL_DRIFT__*}, {@code VIGIL_TRAINING__*}); the launcher sets only
   * where the infrastructure is.
   *
   * @param modelName the registered model the loop trains, serves and watches
   * @param bootstrapModel train and register a cold-start model from the demo data's unlabelled part
   *     when the registry has no {@code champion} yet
   * @param serving run the gRPC inference server (following {@code champion})
   * @param servingPort its gRPC port, 0 = any free port
   * @param servingMetricsPort its HTTP /metrics and /health port, 0 = any free port
   * @param scoring submit the scoring job (features -> serving -> predictions)
   * @param drift submit the drift job
   * @param labelRequests submit the label-request job
   * @param retrain run the retraining watcher
   * @param promotion {@code auto} (the watcher moves champion when the candidate is better) or {@code
   *     review} (it proposes the candidate as challenger; a reviewer approves in the UI)
   * @param retrainAfterLabels new labels that trigger a retrain
   * @param retrainMinGapSeconds at least this long between two retraining runs
   * @param annotatorPauseMillis the simulated annotator's pause between two labels
   */
  public record Loop(String modelName, boolean bootstrapModel, boolean serving, int servingPort,
      int servingMetricsPort, boolean scoring, boolean drift, boolean labelRequests, boolean retrain,
      String promotion, int retrainAfterLabels, long retrainMinGapSeconds, long annotatorPauseMillis) {
    public Loop {
      requireNonNull(modelName, "loop.modelName must be set");
      if (modelName.isBlank()) {
        throw new IllegalArgumentException("loop.modelName must not be blank");
      }
      checkPort("loop.servingPort", servingPort);
      checkPort("loop.servingMetricsPort", servingMetricsPort);
      if (!"auto".equals(promotion) && !"review".equals(promotion)) {
        throw new IllegalArgumentException("loop.promotion must be auto or review, not " + promotion);
      }
      if (retrainAfterLabels < 1) {
        throw new IllegalArgumentException("loop.retrainAfterLabels must be >= 1");
      }
      if (retrainMinGapSeconds < 0) {
        throw new IllegalArgumentException("loop.retrainMinGapSeconds must be >= 0");
      }
      if (annotatorPauseMillis < 0) {
        throw new IllegalArgumentException("loop.annotatorPauseMillis must be >= 0");
      }
    }
  }

  /**
   * The demo replay that {@code vigil up} runs.
   *
   * @param dataDir a directory in SMD, JumpStarter or NAB layout; null = the bundled SMD excerpt
   * @param speed times real time; 0 = as fast as the broker takes it
   * @param enabled replay at all
   */
  public record Demo(boolean enabled, String dataDir, double speed) {
    public Demo {
      if (speed < 0 || !Double.isFinite(speed)) {
        throw new IllegalArgumentException("demo.speed must be >= 0 (0 = full speed): " + speed);
      }
    }
  }

  public Path workPath() {
    return Path.of(workDir);
  }

  public static VigilConfig defaults() {
    return new VigilConfig(
        ".vigil",
        new Kafka(true, null, 9092, 0, (short) 1),
        new S3(true, null, 9000, "vigil", "vigil-secret-key", "us-east-1",
            List.of("vigil-models", "vigil-features", "vigil-checkpoints")),
        new Flink(true, null, 8081, 8, true),
        new Registry(true, null, 5000),
        new Labeling(true, 8088),
        new Loop("anomaly-detector", true, true, 8001, 8002, true, true, true, true, "auto", 20, 60, 500),
        Map.of(),
        new Demo(true, null, 0));
  }

  public static ConfigLoader<VigilConfig> loader() {
    return new ConfigLoader<>(VigilConfig.class, defaults(), "VIGIL_", RESERVED_ENV);
  }

  /** Topic names: defaults, overridden by {@code topics.<name>} keys (e.g. {@code topics.telemetry}). */
  public TopicNames topicNames() {
    return topicNames(topics);
  }

  private static TopicNames topicNames(Map<String, String> overrides) {
    Map<VigilTopic, String> byTopic = new EnumMap<>(VigilTopic.class);
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      String key = e.getKey().replaceAll("([a-z])([A-Z])", "$1_$2").replace('-', '_').toUpperCase(Locale.ROOT);
      try {
        byTopic.put(VigilTopic.valueOf(key), e.getValue());
      } catch (IllegalArgumentException unknown) {
        throw new IllegalArgumentException("topics." + e.getKey() + " is not a Vigil topic; known: "
            + java.util.Arrays.stream(VigilTopic.values())
                .map(t -> toCamel(t.name())).toList());
      }
    }
    return TopicNames.withOverrides(byTopic);
  }

  private static String toCamel(String enumName) {
    String[] words = enumName.toLowerCase(Locale.ROOT).split("_");
    StringBuilder b = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      b.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
    }
    return b.toString();
  }

  private static void checkPort(String key, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(key + " must be in 0..65535 (0 = any free port): " + port);
    }
  }
}
