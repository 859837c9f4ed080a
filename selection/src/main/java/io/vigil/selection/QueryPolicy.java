package io.vigil.selection;

import static java.util.Objects.requireNonNull;

import java.io.Serializable;
import java.util.random.RandomGenerator;

/**
 * Chooses which windows of one entity people are asked about, the same way in {@code vigil eval}
 * and in the streaming label-request stage (DESIGN §5):
 *
 * <ul>
 *   <li>While an incident is open on the entity, only its follow-up confirmations are asked, after
 *       {@code firstFollowUp}, then 2x, 4x, ... that many windows; a "normal" answer closes it. So
 *       one incident is one request plus its follow-ups, never one request per anomalous window.
 *   <li>Otherwise {@link Strategy#UNCERTAINTY} asks about a window whose uncertainty times its
 *       weight (drift contribution, diversity) is at least {@code minUncertainty}, at most once per
 *       {@code cooldown} windows; {@link Strategy#RANDOM} asks with probability {@code randomRate}.
 *       With {@code auditShare > 0} a share of the windows not picked is asked about at random as an
 *       audit.
 *   <li>Every query must fit the {@link Budget}; follow-ups rank first, audits last.
 * </ul>
 *
 * <p>Immutable and serializable; all mutable state is the caller's {@link EntityQueryState}.
 */
public final class QueryPolicy implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Priorities by kind: follow-ups above any uncertainty (at most 1 x weight), audits below. */
  static final double FOLLOW_UP_PRIORITY = 10;
  static final double AUDIT_PRIORITY = 0.01;

  private final Strategy strategy;
  private final double minUncertainty;
  private final long cooldown;
  private final long firstFollowUp;
  private final double followUpGrowth;
  private final double randomRate;
  private final double auditShare;
  private final Budget budget;

  /**
   * @param minUncertainty weighted uncertainty at which {@link Strategy#UNCERTAINTY} asks
   * @param cooldown windows between two queries outside an incident
   * @param firstFollowUp windows from an incident's opening to its first follow-up
   * @param randomRate per-window query probability of {@link Strategy#RANDOM}
   * @param auditShare per-window probability of an audit query among windows not otherwise picked
   */
  public QueryPolicy(Strategy strategy, double minUncertainty, long cooldown, long firstFollowUp,
      double randomRate, double auditShare, Budget budget) {
    this(strategy, minUncertainty, cooldown, firstFollowUp, 2.0, randomRate, auditShare, budget);
  }

  /**
   * @param followUpGrowth each gap between follow-ups is this many times the previous one (2 = after
   *     10, 20, 40, ... windows; 1 = every {@code firstFollowUp} windows)
   */
  public QueryPolicy(Strategy strategy, double minUncertainty, long cooldown, long firstFollowUp,
      double followUpGrowth, double randomRate, double auditShare, Budget budget) {
    this.strategy = requireNonNull(strategy, "strategy");
    this.budget = requireNonNull(budget, "budget");
    if (!(minUncertainty >= 0) || cooldown < 0 || firstFollowUp < 1 || !(randomRate >= 0 && randomRate <= 1)
        || !(auditShare >= 0 && auditShare <= 1)) {
      throw new IllegalArgumentException("query policy: minUncertainty >= 0, cooldown >= 0, "
          + "firstFollowUp >= 1, randomRate and auditShare in [0, 1] needed");
    }
    this.minUncertainty = minUncertainty;
    this.cooldown = cooldown;
    this.firstFollowUp = firstFollowUp;
    if (!(followUpGrowth >= 1)) {
      throw new IllegalArgumentException("query policy: followUpGrowth >= 1 needed");
    }
    this.followUpGrowth = followUpGrowth;
    this.randomRate = randomRate;
    this.auditShare = auditShare;
  }

  /**
   * The policy {@code vigil eval} measures: paced budget ({@code B·t/T + 5}), no audits, a cool-down
   * of 10 windows, follow-ups every 10 windows while an incident is open (growth 1, chosen on the
   * selection set, ADR 0007). Pair it with {@link UncertaintyMeasure#ofLevel} against a
   * {@link ScoreLevel}.
   */
  public static QueryPolicy forEvaluation(Strategy strategy, int budget, long windows) {
    int b = strategy == Strategy.NONE ? 0 : budget;
    return new QueryPolicy(strategy, 0.5, 10, 10, 1.0, Math.min(1, (double) b / windows), 0,
        new Budget.Paced(b, windows, 5));
  }

  public double followUpGrowth() {
    return followUpGrowth;
  }

  public Strategy strategy() {
    return strategy;
  }

  public Budget budget() {
    return budget;
  }

  /**
   * Sees the entity's next window (call once per window, in time order) and decides whether to ask
   * about it. A positive decision has already been counted against the budget.
   *
   * @param uncertainty 0 (sure) .. 1 ({@link UncertaintyMeasure})
   * @param weight multiplies the uncertainty: 1 = neutral; more for windows on drifted metrics,
   *     less for windows like the last one asked about
   * @param random drawn from only for {@link Strategy#RANDOM} and audits
   */
  public Decision decide(EntityQueryState s, double uncertainty, double weight, long timeMillis,
      RandomGenerator random) {
    s.seen++;
    if (strategy == Strategy.NONE) {
      return Decision.NO;
    }
    if (s.incidentOpen) {
      s.sinceOpen++;
      if (s.sinceOpen >= s.nextFollowUp && budget.allows(s, QueryKind.INCIDENT_FOLLOW_UP, timeMillis)) {
        s.interval = Math.max(1, (long) Math.floor(s.interval * followUpGrowth));
        s.nextFollowUp = s.sinceOpen + s.interval;
        return spend(s, timeMillis, QueryKind.INCIDENT_FOLLOW_UP, FOLLOW_UP_PRIORITY);
      }
      return Decision.NO;
    }
    double weighted = uncertainty * weight;
    QueryKind kind = null;
    double priority = 0;
    if (strategy == Strategy.RANDOM) {
      if (random.nextDouble() < randomRate) {
        kind = QueryKind.AUDIT;
        priority = AUDIT_PRIORITY;
      }
    } else if (weighted >= minUncertainty && s.seen - s.lastQuerySeen >= cooldown) {
      kind = QueryKind.UNCERTAIN;
      priority = weighted;
    }
    if (kind == null && auditShare > 0 && random.nextDouble() < auditShare) {
      kind = QueryKind.AUDIT;
      priority = AUDIT_PRIORITY;
    }
    if (kind == null || !budget.allows(s, kind, timeMillis)) {
      return Decision.NO;
    }
    return spend(s, timeMillis, kind, priority);
  }

  private Decision spend(EntityQueryState s, long timeMillis, QueryKind kind, double priority) {
    budget.spend(s, timeMillis);
    s.queries++;
    s.lastQuerySeen = s.seen;
    return Decision.ask(kind, priority);
  }

  /**
   * Applies a person's answer about one of the entity's windows: "anomaly" opens an incident when
   * none is open (an answer to a follow-up keeps it open), "normal" closes the open one.
   */
  public void onAnswer(EntityQueryState s, boolean anomaly, String incidentId) {
    if (anomaly) {
      openIncident(s, incidentId);
    } else {
      closeIncident(s);
    }
  }

  /** Opens an incident unless one is open (then only a missing id is filled in). */
  public void openIncident(EntityQueryState s, String incidentId) {
    if (s.incidentOpen) {
      if (s.incidentId == null) {
        s.incidentId = incidentId;
      }
      return;
    }
    s.incidentOpen = true;
    s.incidentId = incidentId;
    s.sinceOpen = 0;
    s.interval = firstFollowUp;
    s.nextFollowUp = firstFollowUp;
  }

  public void closeIncident(EntityQueryState s) {
    s.incidentOpen = false;
    s.incidentId = null;
  }
}
