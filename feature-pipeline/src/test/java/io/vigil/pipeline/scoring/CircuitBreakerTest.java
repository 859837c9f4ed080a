package io.vigil.pipeline.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The circuit breaker's states on an injected clock (no sleeps). */
class CircuitBreakerTest {

  static final Duration OPEN = Duration.ofSeconds(5);
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

  final AtomicLong now = new AtomicLong(1_000_000_000L);
  final List<String> events = new ArrayList<>();
  final CircuitBreaker breaker = new CircuitBreaker(3, OPEN, PROBE_TIMEOUT, now::get,
      new CircuitBreaker.Listener() {
        @Override
        public void opened(int failures) {
          events.add("opened after " + failures);
        }

        @Override
        public void closed() {
          events.add("closed");
        }
      });

  void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void staysClosedBelowTheThresholdAndASuccessResetsTheCount() {
    breaker.onFailure(false);
    breaker.onFailure(false);
    breaker.onSuccess();
    breaker.onFailure(false);
    breaker.onFailure(false);
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(breaker.tryAcquire()).isEqualTo(new CircuitBreaker.Permit(0, false));
    assertThat(events).isEmpty();
  }

  @Test
  void opensAfterConsecutiveFailuresAndMakesCallersWaitForTheRestOfTheOpenDuration() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(false);
    }
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(events).containsExactly("opened after 3");
    CircuitBreaker.Permit p = breaker.tryAcquire();
    assertThat(p.allowed()).isFalse();
    assertThat(p.waitNanos()).isEqualTo(OPEN.toNanos());
    advance(Duration.ofSeconds(2));
    assertThat(breaker.tryAcquire().waitNanos()).isEqualTo(Duration.ofSeconds(3).toNanos());
    // calls sent before it opened fail late: the opening stands as it was
    breaker.onFailure(false);
    assertThat(breaker.tryAcquire().waitNanos()).isEqualTo(Duration.ofSeconds(3).toNanos());
    assertThat(breaker.openings()).isEqualTo(1);
  }

  @Test
  void afterTheOpenDurationOneProbeGoesAndTheOthersWait() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(false);
    }
    advance(OPEN);
    CircuitBreaker.Permit probe = breaker.tryAcquire();
    assertThat(probe.allowed()).isTrue();
    assertThat(probe.probe()).isTrue();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    CircuitBreaker.Permit other = breaker.tryAcquire();
    assertThat(other.allowed()).isFalse();
    assertThat(other.waitNanos()).isPositive().isLessThanOrEqualTo(OPEN.toNanos());
  }

  @Test
  void aSuccessfulProbeClosesTheCircuit() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(false);
    }
    advance(OPEN);
    assertThat(breaker.tryAcquire().probe()).isTrue();
    breaker.onSuccess();
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(breaker.tryAcquire()).isEqualTo(new CircuitBreaker.Permit(0, false));
    assertThat(breaker.consecutiveFailures()).isZero();
    assertThat(events).containsExactly("opened after 3", "closed");
  }

  @Test
  void aFailedProbeOpensTheCircuitAgainForAFullOpenDuration() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(false);
    }
    advance(OPEN);
    assertThat(breaker.tryAcquire().probe()).isTrue();
    // a late failure of a call that is not the probe changes nothing
    breaker.onFailure(false);
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    breaker.onFailure(true);
    assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(breaker.tryAcquire().waitNanos()).isEqualTo(OPEN.toNanos());
    assertThat(breaker.openings()).isEqualTo(2);
    assertThat(events).containsExactly("opened after 3", "opened after 4");
  }

  @Test
  void aProbeThatNeverReportsIsReplacedAfterTheProbeTimeout() {
    for (int i = 0; i < 3; i++) {
      breaker.onFailure(false);
    }
    advance(OPEN);
    assertThat(breaker.tryAcquire().probe()).isTrue();
    advance(PROBE_TIMEOUT.minusMillis(1));
    assertThat(breaker.tryAcquire().allowed()).isFalse();
    advance(Duration.ofMillis(1));
    CircuitBreaker.Permit second = breaker.tryAcquire();
    assertThat(second.allowed()).isTrue();
    assertThat(second.probe()).isTrue();
  }
}
