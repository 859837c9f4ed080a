package io.vigil.drift;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * The watermark of one Kafka partition of the drift job's inputs, bounded out-of-orderness <em>per
 * entity</em>. Vigil's writers (the feature job, the scoring job) key their records by entity, so
 * Kafka keeps each entity's records in order, but a partition holds several entities written by
 * different subtasks, whose event times interleave in the log as fast as those subtasks happen to
 * run: in a catch-up or a replay one wall-clock millisecond is minutes of event time, so the
 * partition as a whole is not ordered to within any fixed bound. Flink's bounded-out-of-orderness
 * generator follows the partition's newest record, and an entity written a moment later than its
 * neighbour came in behind the watermark (about 0.7% of the samples in {@code vigil bench drift}).
 *
 * <p>Here the watermark is {@code min over the partition's active entities (newest event time) -
 * outOfOrderness - 1}: a record is late only when it is more than {@code outOfOrderness} behind
 * its own entity's newest record, or when its entity was inactive (see below) and the others moved
 * the watermark past it — truly late data, which still goes to the DLQ. An entity that has sent
 * nothing for {@code idleness} of the source's input-activity clock (which stands still while the
 * source is back-pressured or paused) stops holding the watermark back, as a silent partition does
 * ({@code withIdleness} on top of this generator still marks a whole silent partition idle).
 * Records without an entity (refused, unreadable ones) do not move the watermark. Not thread-safe:
 * Flink creates one per split.
 */
final class EntityWatermarks implements WatermarkGenerator<DriftInput> {

  /** The newest event time of an entity and when (activity clock) it last sent a record. */
  private static final class Entity {
    long newest;
    long seenAt;

    Entity(long newest, long seenAt) {
      this.newest = newest;
      this.seenAt = seenAt;
    }
  }

  private final long outOfOrdernessMillis;
  private final long idleMillis;
  private final RelativeClock clock;
  private final Map<String, Entity> entities = new HashMap<>();
  /** The activity clock at the last periodic emit: records stamp their entity with it (no clock read per record). */
  private long now;
  private long emitted = Long.MIN_VALUE;
  /** The last entity seen, and its state: consecutive records of one entity skip the map lookup. */
  private String lastName;
  private Entity last;

  EntityWatermarks(Duration outOfOrderness, Duration idleness, RelativeClock clock) {
    this.outOfOrdernessMillis = outOfOrderness.toMillis();
    this.idleMillis = idleness.toMillis();
    this.clock = clock;
    this.now = clock.relativeTimeMillis();
  }

  @Override
  public void onEvent(DriftInput d, long time, WatermarkOutput output) {
    String name = d.entity;
    if (name == null || d.kind == DriftInput.Kind.REFUSED) {
      return;
    }
    Entity e = name.equals(lastName) ? last : entities.get(name);
    if (e == null) {
      e = new Entity(time, now);
      entities.put(name, e);
    } else {
      e.newest = Math.max(e.newest, time);
      e.seenAt = now;
    }
    lastName = name;
    last = e;
  }

  @Override
  public void onPeriodicEmit(WatermarkOutput output) {
    now = clock.relativeTimeMillis();
    long min = Long.MAX_VALUE;
    for (Iterator<Entity> it = entities.values().iterator(); it.hasNext(); ) {
      Entity e = it.next();
      if (now - e.seenAt > idleMillis) {
        it.remove(); // silent for the idleness timeout: no longer holds the partition back
        if (e == last) {
          last = null;
          lastName = null;
        }
      } else {
        min = Math.min(min, e.newest);
      }
    }
    if (min == Long.MAX_VALUE) {
      return; // no active entity: nothing to say (withIdleness marks the partition idle)
    }
    // every period, as Flink's bounded-out-of-orderness generator does: an emit also marks a
    // partition that the idleness timeout had marked idle active again
    emitted = Math.max(emitted, min - outOfOrdernessMillis - 1);
    output.emitWatermark(new Watermark(emitted));
  }
}
