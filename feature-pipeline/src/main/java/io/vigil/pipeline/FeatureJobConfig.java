package io.vigil.pipeline;

import static java.util.Objects.requireNonNull;

import io.vigil.config.ConfigLoader;
import io.vigil.streamio.KafkaSinks;
import java.time.Duration;
import java.util.Set;

/**
 * Configuration of the feature job. Loaded from defaults, a YAML file ({@code --config FILE}), then
 * environment variables {@code VIGIL_FEATURE_PIPELINE__<KEY>} (levels separated by {@code __}).
 *
 * @param featureSetFile YAML feature set declaration; null = the bundled SMD default
 * @param outOfOrderness how far behind the newest event time a sample may arrive and still count
 * @param idleness a Kafka partition silent this long stops holding the watermark back
 * @param checkpointDir where checkpoints go: {@code s3://bucket/path} or {@code file:///path}
 * @param archiveDir where the offline feature archive goes (Avro files partitioned by hour of
 *     window end); blank = no archive
 * @param absurdValueLimit a metric value beyond +- this is refused to the dead-letter topic
 * @param includeNames embed feature names in every vector (larger records)
 * @param parallelism job parallelism; 0 = the cluster's default
 */
public record FeatureJobConfig(
    String jobName,
    String bootstrapServers,
    String telemetryTopic,
    String featuresTopic,
    String dlqTopic,
    String groupId,
    String transactionalIdPrefix,
    Duration transactionTimeout,
    String featureSetFile,
    Duration outOfOrderness,
    Duration idleness,
    Duration checkpointInterval,
    String checkpointDir,
    String archiveDir,
    S3 s3,
    double absurdValueLimit,
    boolean includeNames,
    int parallelism) {

  /** Credentials and endpoint for s3:// paths (MinIO, the embedded server, or AWS). */
  public record S3(String endpoint, String accessKey, String secretKey, boolean pathStyle) {}

  public FeatureJobConfig {
    requireNonNull(jobName, "jobName");
    requireNonNull(bootstrapServers, "bootstrapServers");
    requireNonNull(telemetryTopic, "telemetryTopic");
    requireNonNull(featuresTopic, "featuresTopic");
    requireNonNull(dlqTopic, "dlqTopic");
    requireNonNull(groupId, "groupId");
    requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
    requireNonNull(checkpointDir, "checkpointDir");
    positive("outOfOrderness", outOfOrderness, true);
    positive("idleness", idleness, false);
    positive("checkpointInterval", checkpointInterval, false);
    KafkaSinks.checkTransactionTimeout(transactionTimeout, checkpointInterval);
    if (!(absurdValueLimit > 0)) {
      throw new IllegalArgumentException("absurdValueLimit must be positive");
    }
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

  public static FeatureJobConfig defaults() {
    return new FeatureJobConfig("vigil-feature-pipeline", "127.0.0.1:9092", "vigil.telemetry",
        "vigil.features", "vigil.dlq.telemetry", "vigil-feature-pipeline", "vigil-feature-pipeline",
        Duration.ofMinutes(10), null, Duration.ofMinutes(1), Duration.ofSeconds(5),
        Duration.ofSeconds(10), "file:///tmp/vigil/checkpoints/feature-pipeline", "",
        new S3("http://127.0.0.1:9000", "vigil", "vigil-secret-key", true), 1e15, false, 0);
  }

  public static ConfigLoader<FeatureJobConfig> loader() {
    return new ConfigLoader<>(FeatureJobConfig.class, defaults(), "VIGIL_FEATURE_PIPELINE__", Set.of());
  }

  public FeatureJobConfig withKafka(String servers) {
    return new FeatureJobConfig(jobName, servers, telemetryTopic, featuresTopic, dlqTopic, groupId,
        transactionalIdPrefix, transactionTimeout, featureSetFile, outOfOrderness, idleness,
        checkpointInterval, checkpointDir, archiveDir, s3, absurdValueLimit, includeNames, parallelism);
  }
}
