package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.vigil.config.ConfigLoader;
import io.vigil.pipeline.FeatureJobConfig;
import io.vigil.streamio.KafkaSinks;
import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Configuration of the scoring job. Loaded from defaults, a YAML file ({@code --config FILE}), then
 * environment variables {@code VIGIL_SCORING__<KEY>} (levels separated by {@code __}, e.g. {@code
 * VIGIL_SCORING__SERVING__TARGET=serving:8001}).
 *
 * @param labelsTopic labels the incident flags follow (DESIGN §5): while an incident is open on an
 *     entity its predictions are flagged and name it; blank = no incident flags
 * @param featureSetFile YAML feature-set declaration used to name the attributions; null = the
 *     bundled SMD default
 * @param serving where and what to call
 * @param async Flink async I/O: in-flight calls per subtask, per-call deadline, output order
 * @param retry backoff between attempts that failed transiently
 * @param circuitBreaker when to stop calling a failing server for a while
 * @param checkpointDir where checkpoints go: {@code s3://bucket/path} or {@code file:///path}
 * @param parallelism job parallelism; 0 = the cluster's default
 */
public record ScoringJobConfig(
    String jobName,
    String bootstrapServers,
    String featuresTopic,
    String predictionsTopic,
    String dlqTopic,
    String labelsTopic,
    String groupId,
    String transactionalIdPrefix,
    Duration transactionTimeout,
    String featureSetFile,
    Serving serving,
    Async async,
    Retry retry,
    CircuitBreakerSettings circuitBreaker,
    Duration checkpointInterval,
    String checkpointDir,
    FeatureJobConfig.S3 s3,
    int parallelism) {

  public static final String ENV_PREFIX = "VIGIL_SCORING__";

  public ScoringJobConfig {
    requireNonNull(jobName, "jobName");
    requireNonNull(bootstrapServers, "bootstrapServers");
    requireNonNull(featuresTopic, "featuresTopic");
    requireNonNull(predictionsTopic, "predictionsTopic");
    requireNonNull(dlqTopic, "dlqTopic");
    labelsTopic = blankToNull(labelsTopic);
    requireNonNull(groupId, "groupId");
    requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
    requireNonNull(checkpointDir, "checkpointDir");
    requireNonNull(serving, "serving must be set");
    requireNonNull(async, "async must be set");
    requireNonNull(retry, "retry must be set");
    requireNonNull(circuitBreaker, "circuitBreaker must be set");
    positive("checkpointInterval", checkpointInterval);
    KafkaSinks.checkTransactionTimeout(transactionTimeout, checkpointInterval);
    if (parallelism < 0) {
      throw new IllegalArgumentException("parallelism must be >= 0");
    }
  }

  /**
   * The serving process to call (Open Inference Protocol v2 over gRPC).
   *
   * @param target {@code host:port} of the serving process
   * @param tls call over TLS (trusting {@code tlsTrustCertFile}, or the JDK's trust store)
   * @param tlsTrustCertFile PEM certificate(s) to trust; null = the JDK's defaults
   * @param authToken bearer token sent as {@code authorization: Bearer <token>}; null = none
   * @param modelName the served model name (the OIP model name)
   * @param alias recorded on predictions when the server does not report the alias it answered with
   */
  public record Serving(String target, boolean tls, String tlsTrustCertFile, String authToken,
      String modelName, String alias) implements Serializable {
    public Serving {
      requireNonNull(target, "serving.target");
      tlsTrustCertFile = blankToNull(tlsTrustCertFile);
      authToken = blankToNull(authToken);
      requireNonNull(modelName, "serving.modelName");
      if (modelName.isBlank()) {
        throw new IllegalArgumentException("serving.modelName must not be blank");
      }
      alias = blankToNull(alias);
      int colon = target.lastIndexOf(':');
      if (colon <= 0 || colon == target.length() - 1) {
        throw new IllegalArgumentException("serving.target must be host:port, not '" + target + "'");
      }
      int port;
      try {
        port = Integer.parseInt(target.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("serving.target must be host:port, not '" + target + "'");
      }
      if (port < 1 || port > 65_535) {
        throw new IllegalArgumentException("serving.target port must be in 1..65535: " + target);
      }
      if (tlsTrustCertFile != null && !tls) {
        throw new IllegalArgumentException("serving.tlsTrustCertFile is set but serving.tls is false");
      }
    }

    public String host() {
      String h = target.substring(0, target.lastIndexOf(':'));
      return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    public int port() {
      return Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
    }

    /** Never prints the token. */
    @Override
    public String toString() {
      return "Serving[target=" + target + ", tls=" + tls + ", auth=" + (authToken != null)
          + ", modelName=" + modelName + ", alias=" + alias + "]";
    }
  }

  /** Output order of the async operator. */
  public enum Ordering {
    /** Predictions leave in the order the vectors arrived (per subtask). */
    ORDERED,
    /** Predictions leave as soon as they are answered (higher throughput under retries). */
    UNORDERED;

    @JsonCreator
    public static Ordering of(String s) {
      return valueOf(requireNonNull(s, "async.ordering").trim().toUpperCase(Locale.ROOT));
    }

    @JsonValue
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * @param capacity calls in flight per subtask at most (then backpressure stops the source)
   * @param timeout deadline of one ModelInfer attempt; an attempt past it is retried, never dropped
   * @param ordering {@code ordered} or {@code unordered}
   */
  public record Async(int capacity, Duration timeout, Ordering ordering) implements Serializable {
    public Async {
      if (capacity < 1 || capacity > 100_000) {
        throw new IllegalArgumentException("async.capacity must be in 1..100000: " + capacity);
      }
      positive("async.timeout", timeout);
      requireNonNull(ordering, "async.ordering");
    }
  }

  /**
   * @param initialBackoff wait after the first failed attempt; doubled after each further one
   * @param maxBackoff the wait never grows beyond this (transient failures are retried forever)
   * @param maxInternalRetries attempts answered INTERNAL or UNKNOWN (the server failed on this
   *     record) before the record goes to the dead-letter topic
   */
  public record Retry(Duration initialBackoff, Duration maxBackoff, int maxInternalRetries) implements Serializable {
    public Retry {
      positive("retry.initialBackoff", initialBackoff);
      positive("retry.maxBackoff", maxBackoff);
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalArgumentException("retry.maxBackoff must be >= retry.initialBackoff");
      }
      if (maxInternalRetries < 0) {
        throw new IllegalArgumentException("retry.maxInternalRetries must be >= 0");
      }
    }
  }

  /**
   * @param failureThreshold consecutive failed attempts that open the circuit
   * @param openDuration how long an open circuit lets no call through before one probe is tried
   */
  public record CircuitBreakerSettings(int failureThreshold, Duration openDuration) implements Serializable {
    public CircuitBreakerSettings {
      if (failureThreshold < 1) {
        throw new IllegalArgumentException("circuitBreaker.failureThreshold must be >= 1");
      }
      positive("circuitBreaker.openDuration", openDuration);
    }
  }

  private static void positive(String key, Duration d) {
    requireNonNull(d, key);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(key + " must be positive: " + d);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  public static ScoringJobConfig defaults() {
    return new ScoringJobConfig("vigil-scoring", "127.0.0.1:9092", "vigil.features",
        "vigil.predictions", "vigil.dlq.scoring", "vigil.labels", "vigil-scoring", "vigil-scoring",
        Duration.ofMinutes(10), null,
        new Serving("127.0.0.1:8001", false, null, null, "anomaly-detector", "champion"),
        new Async(100, Duration.ofSeconds(5), Ordering.ORDERED),
        new Retry(Duration.ofMillis(100), Duration.ofSeconds(10), 5),
        new CircuitBreakerSettings(5, Duration.ofSeconds(5)),
        Duration.ofSeconds(10), "file:///tmp/vigil/checkpoints/scoring",
        new FeatureJobConfig.S3("http://127.0.0.1:9000", "vigil", "vigil-secret-key", true), 0);
  }

  public static ConfigLoader<ScoringJobConfig> loader() {
    return new ConfigLoader<>(ScoringJobConfig.class, defaults(), ENV_PREFIX, Set.of());
  }

  public ScoringJobConfig withKafka(String servers) {
    return new ScoringJobConfig(jobName, servers, featuresTopic, predictionsTopic, dlqTopic, labelsTopic, groupId,
        transactionalIdPrefix, transactionTimeout, featureSetFile, serving, async, retry, circuitBreaker,
        checkpointInterval, checkpointDir, s3, parallelism);
  }

  public ScoringJobConfig withLabelsTopic(String topic) {
    return new ScoringJobConfig(jobName, bootstrapServers, featuresTopic, predictionsTopic, dlqTopic,
        topic, groupId, transactionalIdPrefix, transactionTimeout, featureSetFile, serving, async, retry,
        circuitBreaker, checkpointInterval, checkpointDir, s3, parallelism);
  }

  public ScoringJobConfig withServing(Serving newServing) {
    return new ScoringJobConfig(jobName, bootstrapServers, featuresTopic, predictionsTopic, dlqTopic,
        labelsTopic, groupId, transactionalIdPrefix, transactionTimeout, featureSetFile, newServing, async, retry,
        circuitBreaker, checkpointInterval, checkpointDir, s3, parallelism);
  }
}
