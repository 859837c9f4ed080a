package io.vigil.drift.requests;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Idleness for an input that trails the others (the predictions trail the telemetry and features by
 * the scoring stage's lag). Like {@code WatermarkStrategy.withIdleness}, a silent partition stops
 * holding event time back, but after two different timeouts:
 *
 * <ul>
 *   <li>one that has <em>never</em> delivered a record goes idle after {@code beforeFirstRecord}
 *       (an empty partition, or a subtask without one, must not hold event time for long);
 *   <li>one that has delivered records goes idle only after {@code afterRecords} of silence, so a
 *       pause in the stream does not take it out of the watermark: when data resumes, the other
 *       inputs cannot move event time past windows whose predictions are still on their way.
 * </ul>
 *
 * Silence is measured on the source's input-activity clock (it stands still while the source is
 * back-pressured or paused), read once per periodic emit, so to within one emit interval. Not
 * thread-safe: Flink creates one per split.
 */
final class TrailingIdleness<T> implements WatermarkGenerator<T> {

  private final WatermarkGenerator<T> watermarks;
  private final long beforeFirstMillis;
  private final long afterRecordsMillis;
  private final RelativeClock clock;
  private boolean delivered;
  /** The activity clock at the last periodic emit: records are stamped with it (no clock read per record). */
  private long now;
  private long lastRecordAt;
  private boolean idle;

  TrailingIdleness(WatermarkGenerator<T> watermarks, Duration beforeFirstRecord, Duration afterRecords,
      RelativeClock clock) {
    this.watermarks = requireNonNull(watermarks, "watermarks");
    this.beforeFirstMillis = beforeFirstRecord.toMillis();
    this.afterRecordsMillis = afterRecords.toMillis();
    this.clock = requireNonNull(clock, "clock");
    this.now = clock.relativeTimeMillis();
    this.lastRecordAt = now;
  }

  @Override
  public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
    watermarks.onEvent(event, eventTimestamp, output);
    delivered = true;
    lastRecordAt = now;
    idle = false;
  }

  @Override
  public void onPeriodicEmit(WatermarkOutput output) {
    now = clock.relativeTimeMillis();
    long silent = now - lastRecordAt;
    if (silent > (delivered ? afterRecordsMillis : beforeFirstMillis)) {
      if (!idle) {
        output.markIdle();
        idle = true;
      }
      return;
    }
    // emitting a watermark marks an output that was idle active again
    watermarks.onPeriodicEmit(output);
  }
}
