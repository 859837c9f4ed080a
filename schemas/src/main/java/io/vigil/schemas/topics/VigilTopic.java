package io.vigil.schemas.topics;

import java.util.Map;

/**
 * The topics of the loop, with their default names, partition counts and topic configs. Names are
 * configurable per deployment ({@link TopicNames}); partitions and configs are what {@link
 * TopicInstaller} creates when a topic is missing.
 */
public enum VigilTopic {
  TELEMETRY("vigil.telemetry", 4, Map.of("retention.ms", days(7))),
  FEATURES("vigil.features", 4, Map.of("retention.ms", days(7))),
  PREDICTIONS("vigil.predictions", 4, Map.of("retention.ms", days(30))),
  LABEL_REQUESTS("vigil.label-requests", 2, Map.of("retention.ms", days(30))),
  /** Labels are the product's most valuable data: never expire them. */
  LABELS("vigil.labels", 2, Map.of("retention.ms", "-1", "min.insync.replicas", "1")),
  DRIFT("vigil.drift", 1, Map.of("retention.ms", days(30))),
  MODEL_EVENTS("vigil.model-events", 1, Map.of("retention.ms", "-1")),
  DLQ_TELEMETRY("vigil.dlq.telemetry", 1, Map.of("retention.ms", days(30))),
  DLQ_FEATURES("vigil.dlq.features", 1, Map.of("retention.ms", days(30))),
  DLQ_PREDICTIONS("vigil.dlq.predictions", 1, Map.of("retention.ms", days(30))),
  DLQ_LABELS("vigil.dlq.labels", 1, Map.of("retention.ms", days(30))),
  /** Feature vectors the scoring job could not read or serving refused (INVALID_ARGUMENT, NOT_FOUND). */
  DLQ_SCORING("vigil.dlq.scoring", 1, Map.of("retention.ms", days(30))),
  /** Records the drift job could not read, and samples that came after their window closed. */
  DLQ_DRIFT("vigil.dlq.drift", 1, Map.of("retention.ms", days(30))),
  /** Label requests the labeling UI could not read. */
  DLQ_LABEL_REQUESTS("vigil.dlq.label-requests", 1, Map.of("retention.ms", days(30))),
  /** Records the label-request job could not read. */
  DLQ_LABEL_REQUEST_JOB("vigil.dlq.label-requests-job", 1, Map.of("retention.ms", days(30)));

  private final String defaultName;
  private final int partitions;
  private final Map<String, String> configs;

  VigilTopic(String defaultName, int partitions, Map<String, String> configs) {
    this.defaultName = defaultName;
    this.partitions = partitions;
    this.configs = configs;
  }

  public String defaultName() {
    return defaultName;
  }

  public int partitions() {
    return partitions;
  }

  public Map<String, String> configs() {
    return configs;
  }

  private static String days(int n) {
    return Long.toString(n * 24L * 3600L * 1000L);
  }
}
