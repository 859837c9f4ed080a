package io.vigil.pipeline.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Exponential backoff: doubling, the cap, and jitter from an injected random source. */
class BackoffTest {

  static long ms(long n) {
    return Duration.ofMillis(n).toNanos();
  }

  @Test
  void doublesFromTheInitialWaitUpToTheCapAndStaysThere() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0, () -> 0.5);
    assertThat(b.delayNanos(1)).isEqualTo(ms(100));
    assertThat(b.delayNanos(2)).isEqualTo(ms(200));
    assertThat(b.delayNanos(3)).isEqualTo(ms(400));
    assertThat(b.delayNanos(4)).isEqualTo(ms(800));
    assertThat(b.delayNanos(5)).isEqualTo(ms(1000));
    assertThat(b.delayNanos(1_000_000)).isEqualTo(ms(1000));
    assertThat(b.delayNanos(Integer.MAX_VALUE)).isEqualTo(ms(1000));
  }

  @Test
  void jitterOnlyShortensTheWaitByAtMostItsFraction() {
    Backoff none = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), 0.2, () -> 0.0);
    Backoff most = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), 0.2, () -> 0.999999);
    Backoff half = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), 0.2, () -> 0.5);
    assertThat(none.delayNanos(3)).isEqualTo(ms(400));
    assertThat(half.delayNanos(3)).isBetween(ms(360) - 1, ms(360) + 1);
    assertThat(most.delayNanos(3)).isGreaterThanOrEqualTo(ms(320)).isLessThan(ms(400));
    assertThat(most.delayNanos(100)).isGreaterThanOrEqualTo(ms(8000)).isLessThanOrEqualTo(ms(10_000));
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), 0, () -> 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0, () -> 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, () -> 0))
        .isInstanceOf(IllegalArgumentException.class);
    Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 0, () -> 0);
    assertThatThrownBy(() -> b.delayNanos(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
