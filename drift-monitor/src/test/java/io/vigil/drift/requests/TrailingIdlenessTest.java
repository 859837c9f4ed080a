package io.vigil.drift.requests;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.drift.ManualClock;
import io.vigil.drift.RecordingWatermarkOutput;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.junit.jupiter.api.Test;

class TrailingIdlenessTest {

  private final ManualClock clock = new ManualClock();
  private final RecordingWatermarkOutput out = new RecordingWatermarkOutput();
  private final TrailingIdleness<String> idleness = new TrailingIdleness<>(
      new BoundedOutOfOrdernessWatermarks<>(Duration.ofMillis(100)), Duration.ofSeconds(3), Duration.ofSeconds(60),
      clock);

  @Test
  void aPartitionThatNeverDeliveredGoesIdleAfterTheShortTimeout() {
    clock.millis = 2_999;
    idleness.onPeriodicEmit(out);
    assertThat(out.idleMarks).isZero();
    clock.millis = 3_001;
    idleness.onPeriodicEmit(out);
    assertThat(out.lastSaid).isEqualTo("idle");
  }

  @Test
  void afterRecordsAPauseKeepsItInTheWatermarkUntilTheLongTimeout() {
    idleness.onEvent("p", 10_000, out);
    clock.millis = 30_000; // a pause far longer than the short timeout
    idleness.onPeriodicEmit(out);
    assertThat(out.lastSaid).isEqualTo("9899"); // still holding event time at its own newest record
    clock.millis = 60_001;
    idleness.onPeriodicEmit(out);
    assertThat(out.lastSaid).isEqualTo("idle");
    idleness.onPeriodicEmit(out);
    assertThat(out.idleMarks).isEqualTo(1);
    // data again: the next emit is a watermark, which makes the output active
    idleness.onEvent("p", 20_000, out);
    idleness.onPeriodicEmit(out);
    assertThat(out.lastSaid).isEqualTo("19899");
  }
}
