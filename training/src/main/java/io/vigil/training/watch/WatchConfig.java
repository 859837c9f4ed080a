package io.vigil.training.watch;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * How {@code vigil train --watch} ({@link RetrainWatcher}) listens, when it retrains, what it trains
 * on and how it promotes. Keys under {@code watch.} of the training configuration
 * ({@code VIGIL_TRAINING__WATCH__...}).
 *
 * @param kafka where labels, drift reports and features are read and decisions published
 * @param triggers when a run starts
 * @param data what a run trains and evaluates on
 * @param promotion what happens to a better candidate
 * @param workDir where candidate model directories are written
 */
public record WatchConfig(Kafka kafka, Triggers triggers, Data data, Promotion promotion, String workDir) {

  public WatchConfig {
    requireNonNull(kafka, "watch.kafka must be set");
    requireNonNull(triggers, "watch.triggers must be set");
    requireNonNull(data, "watch.data must be set");
    requireNonNull(promotion, "watch.promotion must be set");
    requireNonNull(workDir, "watch.workDir must be set");
  }

  /**
   * @param bootstrapServers Kafka bootstrap servers
   * @param labelsTopic {@code LabelEvent}s (read from the beginning at start: the topic is kept forever)
   * @param driftTopic {@code DriftReport}s (read from the end: only new alarms trigger)
   * @param featuresTopic {@code FeatureVector}s (read from the beginning, within its retention)
   * @param modelEventsTopic where decisions are published as {@code ModelEvent}s
   */
  public record Kafka(String bootstrapServers, String labelsTopic, String driftTopic, String featuresTopic,
      String modelEventsTopic) {
    public Kafka {
      requireNonNull(bootstrapServers, "watch.kafka.bootstrapServers must be set");
      requireNonNull(labelsTopic, "watch.kafka.labelsTopic must be set");
      requireNonNull(driftTopic, "watch.kafka.driftTopic must be set");
      requireNonNull(featuresTopic, "watch.kafka.featuresTopic must be set");
      requireNonNull(modelEventsTopic, "watch.kafka.modelEventsTopic must be set");
    }
  }

  /**
   * @param minNewLabels a run starts once this many new usable labels (ANOMALY or NORMAL, not
   *     retracted, features known) arrived since the last run
   * @param onDriftAlarm a {@code DriftReport} with {@code alarm=true} for the model starts a run
   * @param scheduleMinutes a run starts this long after the last one (0 = no schedule)
   * @param minGapSeconds hysteresis: no run starts sooner than this after the previous one started
   *     (and never two at once); triggers that fire meanwhile wait
   * @param checkIntervalMillis how often the triggers are checked
   */
  public record Triggers(int minNewLabels, boolean onDriftAlarm, long scheduleMinutes, long minGapSeconds,
      long checkIntervalMillis) {
    public Triggers {
      if (minNewLabels < 1) {
        throw new IllegalArgumentException("watch.triggers.minNewLabels must be >= 1");
      }
      if (scheduleMinutes < 0 || minGapSeconds < 0) {
        throw new IllegalArgumentException("watch.triggers.scheduleMinutes and minGapSeconds must be >= 0");
      }
      if (checkIntervalMillis < 10 || checkIntervalMillis > 600_000) {
        throw new IllegalArgumentException("watch.triggers.checkIntervalMillis must be in 10..600000");
      }
    }
  }

  /**
   * @param maxStoredFeatures the latest feature vectors kept per sample id (oldest evicted first; a
   *     label whose features were evicted or never seen is not usable)
   * @param holdoutShare the most recent share of the usable labels: the evaluation set, never trained on
   * @param minTrainRows fewer feature rows than this for the autoencoder: the run is skipped
   * @param minLabels fewer usable labels than this: the run is skipped
   */
  public record Data(int maxStoredFeatures, double holdoutShare, int minTrainRows, int minLabels) {
    public Data {
      if (maxStoredFeatures < 10) {
        throw new IllegalArgumentException("watch.data.maxStoredFeatures must be >= 10");
      }
      if (!(holdoutShare > 0 && holdoutShare < 1)) {
        throw new IllegalArgumentException("watch.data.holdoutShare must be in (0, 1)");
      }
      if (minTrainRows < 10 || minLabels < 2) {
        throw new IllegalArgumentException("watch.data.minTrainRows must be >= 10 and minLabels >= 2");
      }
    }
  }

  /**
   * @param policy {@code auto}: move {@code championAlias} to a better candidate; {@code review}: point
   *     {@code challengerAlias} at it and propose the promotion (a reviewer approves in the labeling UI)
   * @param margin the candidate is better when its holdout F1 (at its own threshold) exceeds the
   *     champion's by at least this much
   * @param championAlias the alias serving follows
   * @param challengerAlias the alias a proposed candidate gets
   * @param actor recorded on every registration, alias move and event
   */
  public record Promotion(String policy, double margin, String championAlias, String challengerAlias,
      String actor) {
    public Promotion {
      policy = requireNonNull(policy, "watch.promotion.policy must be set").toLowerCase(Locale.ROOT);
      if (!policy.equals("auto") && !policy.equals("review")) {
        throw new IllegalArgumentException("watch.promotion.policy must be auto or review, not " + policy);
      }
      if (!Double.isFinite(margin) || margin < -1 || margin > 1) {
        throw new IllegalArgumentException("watch.promotion.margin must be in [-1, 1]");
      }
      requireNonNull(championAlias, "watch.promotion.championAlias must be set");
      requireNonNull(challengerAlias, "watch.promotion.challengerAlias must be set");
      requireNonNull(actor, "watch.promotion.actor must be set");
      if (championAlias.equals(challengerAlias)) {
        throw new IllegalArgumentException("watch.promotion champion and challenger aliases must differ");
      }
    }

    public boolean auto() {
      return policy.equals("auto");
    }
  }

  /** The defaults (see the module README). */
  public static WatchConfig defaults() {
    return new WatchConfig(
        new Kafka("127.0.0.1:9092", "vigil.labels", "vigil.drift", "vigil.features", "vigil.model-events"),
        new Triggers(50, true, 0, 600, 1000),
        new Data(50_000, 0.3, 200, 20),
        new Promotion("review", 0.02, "champion", "challenger", "retrain-watcher"),
        ".vigil/retrain");
  }
}
