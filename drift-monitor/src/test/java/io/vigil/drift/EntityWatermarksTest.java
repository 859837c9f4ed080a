package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Watermarks of a partition that holds several entities, each in order, interleaved in any way. */
class EntityWatermarksTest {

  private static final long MIN = 60_000;

  private static DriftInput record(String entity, long time) {
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.FEATURES;
    d.entity = entity;
    d.time = time;
    return d;
  }

  private static void event(EntityWatermarks g, String entity, long time, RecordingWatermarkOutput out) {
    g.onEvent(record(entity, time), time, out);
  }

  @Test
  void followsTheSlowestEntityNotThePartitionsNewestRecord() {
    ManualClock clock = new ManualClock();
    EntityWatermarks g = new EntityWatermarks(Duration.ofMinutes(1), Duration.ofSeconds(5), clock);
    RecordingWatermarkOutput out = new RecordingWatermarkOutput();
    // entity a written an hour ahead of entity b into the same partition (two writer subtasks)
    for (int m = 0; m < 60; m++) {
      event(g, "a", (60 + m) * MIN, out);
    }
    event(g, "b", 10 * MIN, out);
    g.onPeriodicEmit(out);
    assertThat(out.last()).isEqualTo(10 * MIN - MIN - 1); // b's records after 9 min are on time
    event(g, "b", 30 * MIN, out);
    g.onPeriodicEmit(out);
    assertThat(out.last()).isEqualTo(29 * MIN - 1);
    event(g, "b", 200 * MIN, out); // b overtakes a: a holds it back now
    g.onPeriodicEmit(out);
    assertThat(out.last()).isEqualTo(118 * MIN - 1);
  }

  @Test
  void aSilentEntityStopsHoldingTheWatermarkBackAfterTheIdleness() {
    ManualClock clock = new ManualClock();
    EntityWatermarks g = new EntityWatermarks(Duration.ofMinutes(1), Duration.ofSeconds(5), clock);
    RecordingWatermarkOutput out = new RecordingWatermarkOutput();
    event(g, "a", 100 * MIN, out);
    event(g, "gone", 10 * MIN, out);
    g.onPeriodicEmit(out);
    assertThat(out.last()).isEqualTo(9 * MIN - 1);
    for (int s = 1; s <= 6; s++) { // a keeps sending, "gone" does not
      clock.millis = s * 1000L;
      event(g, "a", (100 + s) * MIN, out);
      g.onPeriodicEmit(out);
    }
    assertThat(out.last()).isEqualTo(105 * MIN - 1);
    event(g, "gone", 11 * MIN, out); // comes back: late now (the DLQ's job), and does not move it back
    g.onPeriodicEmit(out);
    assertThat(out.watermarks).isSorted();
    assertThat(out.last()).isEqualTo(105 * MIN - 1);
  }

  @Test
  void refusedRecordsAndRecordsWithoutEntityDoNotMoveIt() {
    ManualClock clock = new ManualClock();
    EntityWatermarks g = new EntityWatermarks(Duration.ofMinutes(1), Duration.ofSeconds(5), clock);
    RecordingWatermarkOutput out = new RecordingWatermarkOutput();
    DriftInput refused = DriftInput.refused("t", 0, 0, null, new byte[] {1}, "BAD_HEADER", "x");
    g.onEvent(refused, 0, out);
    g.onEvent(record(null, 50 * MIN), 50 * MIN, out);
    g.onPeriodicEmit(out);
    assertThat(out.watermarks).isEmpty();
    event(g, "a", 20 * MIN, out);
    g.onPeriodicEmit(out);
    g.onPeriodicEmit(out); // unchanged, emitted again (marks an idle partition active)
    assertThat(out.watermarks).containsExactly(19 * MIN - 1, 19 * MIN - 1);
  }
}
