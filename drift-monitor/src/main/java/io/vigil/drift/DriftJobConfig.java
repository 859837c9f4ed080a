package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import io.vigil.config.ConfigLoader;
import io.vigil.drift.stats.DriftPolicy;
import io.vigil.streamio.KafkaSinks;
import java.io.Serializable;
import java.time.Duration;
import java.util.Set;

/**
 * Configuration of the drift job. Loaded from defaults, a YAML file ({@code --config FILE}), then
 * environment variables {@code VIGIL_DRIFT__<KEY>} (levels separated by {@code __}, e.g. {@code
 * VIGIL_DRIFT__DRIFT__PSI_THRESHOLD=0.25}).
 *
 * @param window length of the event-time tumbling windows a report covers
 * @param outOfOrderness how far behind the newest event time a record may arrive and still count
 * @param idleness a silent features partition (or entity) stops holding the watermark back after this
 * @param predictionsIdleness the same for the predictions: longer, because the predictions trail
 *     the features by the scoring stage's lag (at start-up, while serving warms up and scoring catches
 *     up, or while serving is down), and a vector whose prediction comes after the watermark has
 *     passed is never joined
 * @param joinTtl how long (event time) a feature vector waits for its predictions and a prediction
 *     for its feature vector before it is dropped (counted as unmatched)
 * @param labelTtl how long (processing time) a prediction is kept to meet its label
 * @param featureSetFile YAML feature set that names unnamed vectors; null = the bundled SMD default
 * @param registry where reference profiles come from
 * @param drift statistics thresholds, the online detector and the alarm
 * @param parallelism job parallelism; 0 = the cluster's default
 */
public record DriftJobConfig(
    String jobName,
    String bootstrapServers,
    String featuresTopic,
    String predictionsTopic,
    String labelsTopic,
    String driftTopic,
    String dlqTopic,
    String groupId,
    String transactionalIdPrefix,
    Duration transactionTimeout,
    String featureSetFile,
    Duration window,
    Duration outOfOrderness,
    Duration idleness,
    Duration predictionsIdleness,
    Duration joinTtl,
    Duration labelTtl,
    Duration checkpointInterval,
    String checkpointDir,
    Registry registry,
    DriftPolicy drift,
    int parallelism) implements Serializable {

  private static final long serialVersionUID = 1L;

  /**
   * The model registry (MLflow-compatible) and its artifact store.
   *
   * @param trackingUri registry URL
   * @param s3Endpoint S3/MinIO endpoint of the artifacts
   * @param retryAfter after a failed profile fetch, samples of that version go to the DLQ until
   *     this much time has passed, then the fetch is tried again
   */
  public record Registry(String trackingUri, String s3Endpoint, String accessKey, String secretKey,
      Duration retryAfter) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Registry {
      requireNonNull(trackingUri, "registry.trackingUri");
      positive("registry.retryAfter", retryAfter, false);
    }
  }

  public DriftJobConfig {
    requireNonNull(jobName, "jobName");
    requireNonNull(bootstrapServers, "bootstrapServers");
    requireNonNull(featuresTopic, "featuresTopic");
    requireNonNull(predictionsTopic, "predictionsTopic");
    requireNonNull(labelsTopic, "labelsTopic");
    requireNonNull(driftTopic, "driftTopic");
    requireNonNull(dlqTopic, "dlqTopic");
    requireNonNull(groupId, "groupId");
    requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
    requireNonNull(checkpointDir, "checkpointDir");
    requireNonNull(registry, "registry");
    requireNonNull(drift, "drift");
    positive("window", window, false);
    positive("outOfOrderness", outOfOrderness, true);
    positive("idleness", idleness, false);
    positive("predictionsIdleness", predictionsIdleness, false);
    positive("joinTtl", joinTtl, false);
    positive("labelTtl", labelTtl, false);
    positive("checkpointInterval", checkpointInterval, false);
    KafkaSinks.checkTransactionTimeout(transactionTimeout, checkpointInterval);
    if (parallelism < 0) {
      throw new IllegalArgumentException("parallelism must be >= 0");
    }
  }

  private static void positive(String key, Duration d, boolean zeroOk) {
    requireNonNull(d, key);
    if (d.isNegative() || (!zeroOk && d.isZero())) {
      throw new IllegalArgumentException(key + " must be positive: " + d);
    }
  }

  public static DriftJobConfig defaults() {
    return new DriftJobConfig("vigil-drift-monitor", "127.0.0.1:9092", "vigil.features",
        "vigil.predictions", "vigil.labels", "vigil.drift", "vigil.dlq.drift", "vigil-drift-monitor",
        "vigil-drift-monitor", Duration.ofMinutes(10), null, Duration.ofMinutes(10),
        Duration.ofMinutes(1), Duration.ofSeconds(5), Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofDays(7),
        Duration.ofSeconds(10), "file:///tmp/vigil/checkpoints/drift-monitor",
        new Registry("http://127.0.0.1:5000", "http://127.0.0.1:9000", "vigil", "vigil-secret-key",
            Duration.ofMinutes(1)),
        DriftPolicy.defaults(), 0);
  }

  public static final String ENV_PREFIX = "VIGIL_DRIFT__";

  public static ConfigLoader<DriftJobConfig> loader() {
    return new ConfigLoader<>(DriftJobConfig.class, defaults(), ENV_PREFIX, Set.of());
  }
}
