package io.vigil.drift;

import org.apache.flink.util.clock.RelativeClock;

/** A hand-moved activity clock for watermark generators. */
public final class ManualClock implements RelativeClock {
  public long millis;

  @Override
  public long relativeTimeMillis() {
    return millis;
  }

  @Override
  public long relativeTimeNanos() {
    return millis * 1_000_000;
  }
}
