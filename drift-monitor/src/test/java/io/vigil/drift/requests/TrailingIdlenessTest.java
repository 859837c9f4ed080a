package io.vigil.drift.requests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;
import org.junit.jupiter.api.Test;

class TrailingIdlenessTest {

  /** A clock the test moves. */
  private static final class ManualClock implements RelativeClock {
    long millis;

    @Override
    public long relativeTimeMillis() {
      return millis;
    }

    @Override
    public long relativeTimeNanos() {
      return millis * 1_000_000;
    }
  }

  /** What the generator said, in order: a watermark's value, or "idle". */
  private static final class Recorded implements WatermarkOutput {
    final List<String> said = new ArrayList<>();

    @Override
    public void emitWatermark(Watermark watermark) {
      said.add(Long.toString(watermark.getTimestamp()));
    }

    @Override
    public void markIdle() {
      said.add("idle");
    }

    @Override
    public void markActive() {
      said.add("active");
    }

    String last() {
      return said.get(said.size() - 1);
    }
  }

  private final ManualClock clock = new ManualClock();
  private final Recorded out = new Recorded();
  private final TrailingIdleness<String> idleness = new TrailingIdleness<>(
      new BoundedOutOfOrdernessWatermarks<>(Duration.ofMillis(100)), Duration.ofSeconds(3), Duration.ofSeconds(60),
      clock);

  @Test
  void aPartitionThatNeverDeliveredGoesIdleAfterTheShortTimeout() {
    clock.millis = 2_999;
    idleness.onPeriodicEmit(out);
    assertThat(out.said).doesNotContain("idle");
    clock.millis = 3_001;
    idleness.onPeriodicEmit(out);
    assertThat(out.last()).isEqualTo("idle");
  }

  @Test
  void afterRecordsAPauseKeepsItInTheWatermarkUntilTheLongTimeout() {
    idleness.onEvent("p", 10_000, out);
    clock.millis = 30_000; // a pause far longer than the short timeout
    idleness.onPeriodicEmit(out);
    assertThat(out.last()).isEqualTo("9899"); // still holding event time at its own newest record
    clock.millis = 60_001;
    idleness.onPeriodicEmit(out);
    assertThat(out.last()).isEqualTo("idle");
    idleness.onPeriodicEmit(out);
    assertThat(out.said.stream().filter("idle"::equals)).hasSize(1);
    // data again: the next emit is a watermark, which makes the output active
    idleness.onEvent("p", 20_000, out);
    idleness.onPeriodicEmit(out);
    assertThat(out.last()).isEqualTo("19899");
  }
}
