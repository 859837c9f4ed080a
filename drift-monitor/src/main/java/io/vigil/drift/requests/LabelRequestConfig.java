package io.vigil.drift.requests;

import static java.util.Objects.requireNonNull;

import io.vigil.config.ConfigLoader;
import io.vigil.selection.Budget;
import io.vigil.selection.QueryPolicy;
import io.vigil.selection.ScoreLevel;
import io.vigil.selection.Strategy;
import io.vigil.selection.UncertaintyMeasure;
import io.vigil.streamio.KafkaSinks;
import java.io.Serializable;
import java.time.Duration;
import java.util.Set;

/**
 * Configuration of the label-request job ({@link LabelRequestJob}). Loaded from defaults, a YAML
 * file ({@code --config FILE}), then environment variables {@code VIGIL_LABEL_REQUESTS__<KEY>}
 * (levels separated by {@code __}, e.g. {@code VIGIL_LABEL_REQUESTS__ENTITY_BUDGET__PER_HOUR=6}).
 * The defaults and their meaning are listed in the module README.
 *
 * @param idleness after how long a silent data partition (telemetry, features) stops holding event
 *     time back
 * @param predictionsIdleness after how much silence a predictions partition that has delivered
 *     records stops holding event time back: longer, because the predictions trail the telemetry and
 *     features by the scoring stage's lag; one that never delivered goes idle after {@code idleness}
 *     ({@link TrailingIdleness})
 * @param strategy how windows outside incidents are picked (follow-ups are asked under every
 *     strategy but NONE)
 * @param uncertaintyMeasure {@link Measure#LEVEL} (the default, as {@code vigil eval}): a window is
 *     uncertain when its model score is at or above the entity's {@code scoreLevel}; a probability
 *     measure applies to predictions with a calibrated probability, the others use the level
 * @param scoreLevel the per-entity query level ({@link ScoreLevel}) kept in keyed state
 * @param minUncertainty weighted uncertainty at which a window is asked about
 * @param cooldown windows between two non-follow-up requests on one entity
 * @param firstFollowUp windows from an incident's opening to its first follow-up
 * @param followUpGrowth each gap between follow-ups is this many times the previous one (1 = every
 *     {@code firstFollowUp} windows, as {@code vigil eval}; 2 = after 10, 20, 40, ...)
 * @param randomRate per-window request probability of the RANDOM strategy
 * @param auditShare per-window probability of an AUDIT request among windows not otherwise picked
 * @param entityBudget token bucket per entity over event time
 * @param globalBudget requests per event-time hour across all entities
 * @param contextPoints raw telemetry points before the window attached as context
 * @param maxWindowPoints telemetry points kept for the window itself (at least the feature window)
 * @param topAttributions how many of the largest attributions count for the drift weight
 * @param driftBoost weight added when all top attributions are on drifted metrics (weight 1 +
 *     boost x share)
 * @param diversityStrength weight removed for a window whose attributions point the same way as the
 *     last one asked about on the entity (weight 1 - strength x cosine)
 * @param seed seed of the audit and random draws (each draw is seeded by seed and sample id, so a
 *     replay makes the same choices)
 * @param parallelism job parallelism; 0 = the cluster's default (the global budget stage always runs
 *     with parallelism 1)
 */
public record LabelRequestConfig(
    String jobName,
    String bootstrapServers,
    Topics topics,
    String groupId,
    String transactionalIdPrefix,
    Duration transactionTimeout,
    Duration checkpointInterval,
    String checkpointDir,
    Duration outOfOrderness,
    Duration idleness,
    Duration predictionsIdleness,
    Strategy strategy,
    Measure uncertaintyMeasure,
    QueryLevel scoreLevel,
    double minUncertainty,
    long cooldown,
    long firstFollowUp,
    double followUpGrowth,
    double randomRate,
    double auditShare,
    EntityBudget entityBudget,
    GlobalBudget globalBudget,
    int contextPoints,
    int maxWindowPoints,
    int topAttributions,
    double driftBoost,
    double diversityStrength,
    long seed,
    int parallelism) implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Topic names: inputs, the request topic, and the dead-letter topic of unreadable inputs. */
  public record Topics(String telemetry, String features, String predictions, String labels,
      String drift, String labelRequests, String dlq) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Topics {
      requireNonNull(telemetry, "topics.telemetry");
      requireNonNull(features, "topics.features");
      requireNonNull(predictions, "topics.predictions");
      requireNonNull(labels, "topics.labels");
      requireNonNull(drift, "topics.drift");
      requireNonNull(labelRequests, "topics.labelRequests");
      requireNonNull(dlq, "topics.dlq");
    }
  }

  /**
   * How a window's uncertainty is measured. {@code LEVEL}: 1 when the model score is at or above the
   * entity's query level, 0 below ({@link UncertaintyMeasure#ofLevel}, ADR 0007), whether or not the
   * prediction carries a probability. The others apply {@link UncertaintyMeasure} to a calibrated
   * probability, and fall back to the level for predictions without one (a cold-start detector has
   * none).
   */
  public enum Measure {
    LEVEL(null),
    LEAST_CONFIDENCE(UncertaintyMeasure.LEAST_CONFIDENCE),
    MARGIN(UncertaintyMeasure.MARGIN),
    ENTROPY(UncertaintyMeasure.ENTROPY);

    private final UncertaintyMeasure ofProbability;

    Measure(UncertaintyMeasure ofProbability) {
      this.ofProbability = ofProbability;
    }

    /** The measure of a probability; null for {@code LEVEL}. */
    public UncertaintyMeasure ofProbability() {
      return ofProbability;
    }
  }

  /**
   * The per-entity query level, {@link ScoreLevel}: the {@code quantile} of the entity's last {@code
   * capacity} model scores, recomputed every {@code every} windows, none (+inf) for the first {@code
   * warmUp}. The defaults are {@link ScoreLevel#forEvaluation()}'s, so the stream asks what {@code
   * vigil eval} measured. Each entity holds {@code capacity} doubles in keyed state (8192: 64 KiB,
   * written with every checkpoint): lower it for many entities, at the cost of a level that
   * forgets sooner (ADR 0007 measured 2000 scores: about as good at budget 100, worse at 50).
   */
  public record QueryLevel(double quantile, int capacity, int every, int warmUp) implements Serializable {
    private static final long serialVersionUID = 1L;

    public QueryLevel {
      if (!(quantile > 0 && quantile < 1) || capacity < 1 || every < 1 || warmUp < 1) {
        throw new IllegalArgumentException(
            "scoreLevel: quantile in (0, 1), capacity, every and warmUp >= 1 needed");
      }
    }

    /** A fresh, empty level for one entity. */
    public ScoreLevel create() {
      return new ScoreLevel(quantile, capacity, every, warmUp);
    }
  }

  /**
   * A token bucket per entity over event time ({@link Budget.PerHour}): {@code perHour} tokens an
   * hour, at most {@code burst} saved up; audits only from a bucket at least half full.
   */
  public record EntityBudget(double perHour, double burst) implements Serializable {
    private static final long serialVersionUID = 1L;

    public EntityBudget {
      if (!(perHour > 0) || !(burst >= 1)) {
        throw new IllegalArgumentException("entityBudget: perHour > 0 and burst >= 1 needed");
      }
    }
  }

  /**
   * At most {@code perHour} requests per event-time hour across all entities, highest priority
   * first. Candidates are buffered and released every {@code releaseEvery} (which must divide an
   * hour): at the end of the k-th of K intervals of an hour at most {@code ceil(perHour * k / K)}
   * requests of that hour are out; what does not fit waits for the next interval and is dropped
   * when its hour ends. Event time decides when an interval ends; {@code maxHold} bounds, in
   * processing time, how long a candidate waits for it: when the inputs fall silent (the last
   * windows before a pause, or for good), event time stands still, and after {@code maxHold} the
   * waiting candidates are released as if their interval had ended — within the same budget. It
   * should exceed {@code releaseEvery} plus the watermark's delay, or candidates go out before their
   * interval is complete (still within the budget, but ranked against fewer others).
   */
  public record GlobalBudget(int perHour, Duration releaseEvery, Duration maxHold) implements Serializable {
    private static final long serialVersionUID = 1L;

    public GlobalBudget {
      if (perHour < 1) {
        throw new IllegalArgumentException("globalBudget.perHour must be >= 1");
      }
      requireNonNull(releaseEvery, "globalBudget.releaseEvery");
      if (releaseEvery.isNegative() || releaseEvery.isZero()
          || Duration.ofHours(1).toMillis() % releaseEvery.toMillis() != 0) {
        throw new IllegalArgumentException(
            "globalBudget.releaseEvery must be positive and divide an hour evenly: " + releaseEvery);
      }
      requireNonNull(maxHold, "globalBudget.maxHold");
      if (maxHold.isNegative() || maxHold.isZero()) {
        throw new IllegalArgumentException("globalBudget.maxHold must be positive: " + maxHold);
      }
    }
  }

  public LabelRequestConfig {
    requireNonNull(jobName, "jobName");
    requireNonNull(bootstrapServers, "bootstrapServers");
    requireNonNull(topics, "topics");
    requireNonNull(groupId, "groupId");
    requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
    requireNonNull(checkpointDir, "checkpointDir");
    requireNonNull(strategy, "strategy");
    requireNonNull(uncertaintyMeasure, "uncertaintyMeasure");
    requireNonNull(scoreLevel, "scoreLevel");
    requireNonNull(entityBudget, "entityBudget");
    requireNonNull(globalBudget, "globalBudget");
    positive("outOfOrderness", outOfOrderness, true);
    positive("idleness", idleness, false);
    positive("predictionsIdleness", predictionsIdleness, false);
    positive("checkpointInterval", checkpointInterval, false);
    KafkaSinks.checkTransactionTimeout(transactionTimeout, checkpointInterval);
    if (!(minUncertainty >= 0) || cooldown < 0 || firstFollowUp < 1 || !(followUpGrowth >= 1)
        || !(randomRate >= 0 && randomRate <= 1) || !(auditShare >= 0 && auditShare <= 1)) {
      throw new IllegalArgumentException("minUncertainty >= 0, cooldown >= 0, firstFollowUp >= 1,"
          + " followUpGrowth >= 1, randomRate and auditShare in [0, 1] needed");
    }
    if (contextPoints < 0 || maxWindowPoints < 1 || topAttributions < 1) {
      throw new IllegalArgumentException("contextPoints >= 0, maxWindowPoints >= 1, topAttributions >= 1 needed");
    }
    if (!(driftBoost >= 0) || !(diversityStrength >= 0 && diversityStrength <= 1)) {
      throw new IllegalArgumentException("driftBoost >= 0 and diversityStrength in [0, 1] needed");
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

  /** The documented defaults (module README). */
  public static LabelRequestConfig defaults() {
    return new LabelRequestConfig("vigil-label-requests", "127.0.0.1:9092",
        new Topics("vigil.telemetry", "vigil.features", "vigil.predictions", "vigil.labels",
            "vigil.drift", "vigil.label-requests", "vigil.dlq.label-requests-job"),
        "vigil-label-requests", "vigil-label-requests", Duration.ofMinutes(10),
        Duration.ofSeconds(10), "file:///tmp/vigil/checkpoints/label-requests",
        Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofMinutes(2),
        Strategy.UNCERTAINTY, Measure.LEVEL, new QueryLevel(0.97, 8192, 50, 100), 0.5, 10, 10, 1.0,
        0.01, 0.02,
        new EntityBudget(4, 2), new GlobalBudget(60, Duration.ofMinutes(10), Duration.ofMinutes(30)),
        30, 60, 3, 1.0, 0.5, 0, 0);
  }

  /** Environment prefix of this job's variables (reserved in the launcher's configuration). */
  public static final String ENV_PREFIX = "VIGIL_LABEL_REQUESTS__";

  public static ConfigLoader<LabelRequestConfig> loader() {
    return new ConfigLoader<>(LabelRequestConfig.class, defaults(), ENV_PREFIX, Set.of());
  }

  /** The shared query-selection policy these settings describe. */
  public QueryPolicy policy() {
    return new QueryPolicy(strategy, minUncertainty, cooldown, firstFollowUp, followUpGrowth, randomRate,
        auditShare,
        new Budget.PerHour(entityBudget.perHour(), entityBudget.burst()));
  }

  public LabelRequestConfig withKafka(String servers) {
    return new LabelRequestConfig(jobName, servers, topics, groupId, transactionalIdPrefix,
        transactionTimeout, checkpointInterval, checkpointDir, outOfOrderness, idleness, predictionsIdleness,
        strategy, uncertaintyMeasure, scoreLevel, minUncertainty, cooldown, firstFollowUp, followUpGrowth,
        randomRate, auditShare, entityBudget, globalBudget, contextPoints, maxWindowPoints,
        topAttributions, driftBoost, diversityStrength, seed, parallelism);
  }
}
