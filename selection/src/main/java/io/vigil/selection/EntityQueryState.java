package io.vigil.selection;

/**
 * What {@link QueryPolicy} remembers about one entity: windows seen, queries spent, the open
 * incident and its follow-up schedule, and the budget's token bucket. A plain mutable POJO (public
 * no-argument constructor, public fields) so that Flink keeps it as keyed state with its POJO
 * serializer; one instance per entity, never shared between threads.
 */
public class EntityQueryState {
  /** Windows seen so far (the current one included once {@link QueryPolicy#decide} ran). */
  public long seen;
  /** Queries asked so far, follow-ups included. */
  public long queries;
  /** {@link #seen} at the last query. */
  public long lastQuerySeen = Long.MIN_VALUE / 2;
  public boolean incidentOpen;
  /** Id of the open incident, when the answer that opened it carried one. */
  public String incidentId;
  /** Windows seen since the incident opened. */
  public long sinceOpen;
  /** Current gap between follow-ups, in windows; doubles at each follow-up. */
  public long interval;
  /** {@link #sinceOpen} at which the next follow-up is due. */
  public long nextFollowUp;
  /** Tokens left in a {@link Budget.PerHour} bucket; negative = not started (full). */
  public double tokens = -1;
  /** Event time the bucket was last refilled at. */
  public long tokensAt;

  public EntityQueryState() {}
}
