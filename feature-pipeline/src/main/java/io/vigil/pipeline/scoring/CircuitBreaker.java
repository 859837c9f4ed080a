package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A circuit breaker over one serving connection (one per subtask), thread-safe, with an injected
 * nanosecond clock.
 *
 * <ul>
 *   <li><b>closed</b>: every call goes through; {@code failureThreshold} consecutive failures open
 *       the circuit.
 *   <li><b>open</b>: no call goes through; callers are told how long to wait, until {@code
 *       openDuration} after opening.
 *   <li><b>half-open</b>: the first caller after that becomes the one probe; the others wait. The
 *       probe's success closes the circuit; its failure opens it again for {@code openDuration}. A
 *       probe that never reports within {@code probeTimeout} is replaced by another.
 * </ul>
 *
 * <p>Callers never fail because the circuit is open: they wait and try again, so nothing is
 * dropped while serving is down.
 */
public final class CircuitBreaker {

  /** The breaker's state. */
  public enum State { CLOSED, OPEN, HALF_OPEN }

  /**
   * The answer to {@link #tryAcquire()}.
   *
   * @param waitNanos 0 = go ahead now; otherwise try again after this long
   * @param probe this call is the half-open probe: report its outcome with {@code probe = true}
   */
  public record Permit(long waitNanos, boolean probe) {
    static final Permit GO = new Permit(0, false);
    static final Permit PROBE = new Permit(0, true);

    public boolean allowed() {
      return waitNanos == 0;
    }
  }

  /** Told about every opening, e.g. to count it as a metric. */
  public interface Listener {
    void opened(int consecutiveFailures);

    /** The circuit closed again after having been open. */
    default void closed() {}
  }

  private final int failureThreshold;
  private final long openNanos;
  private final long probeTimeoutNanos;
  private final long waitWhileProbingNanos;
  private final LongSupplier clock;
  private final Listener listener;

  private State state = State.CLOSED;
  private int consecutiveFailures;
  private long openUntil;
  private long probeStartedAt;
  private boolean probing;
  private long openings;

  /**
   * @param probeTimeout after this long without news of the probe, another caller may probe
   * @param clock nanosecond clock ({@code System::nanoTime} in production)
   */
  public CircuitBreaker(int failureThreshold, Duration openDuration, Duration probeTimeout,
      LongSupplier clock, Listener listener) {
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold must be >= 1");
    }
    this.failureThreshold = failureThreshold;
    this.openNanos = requireNonNull(openDuration, "openDuration").toNanos();
    this.probeTimeoutNanos = requireNonNull(probeTimeout, "probeTimeout").toNanos();
    if (openNanos <= 0 || probeTimeoutNanos <= 0) {
      throw new IllegalArgumentException("openDuration and probeTimeout must be positive");
    }
    // waiters poll while a probe is out: often enough to follow a recovery quickly
    this.waitWhileProbingNanos = Math.max(1, Math.min(openNanos, Duration.ofMillis(50).toNanos()));
    this.clock = requireNonNull(clock, "clock");
    this.listener = requireNonNull(listener, "listener");
  }

  /** May a call go now? If not, how long should it wait before asking again. */
  public Permit tryAcquire() {
    synchronized (this) {
      long now = clock.getAsLong();
      switch (state) {
        case CLOSED -> {
          return Permit.GO;
        }
        case OPEN -> {
          long left = openUntil - now;
          if (left > 0) {
            return new Permit(left, false);
          }
          state = State.HALF_OPEN;
          probing = true;
          probeStartedAt = now;
          return Permit.PROBE;
        }
        default -> {
          if (!probing || now - probeStartedAt >= probeTimeoutNanos) {
            probing = true;
            probeStartedAt = now;
            return Permit.PROBE;
          }
          return new Permit(waitWhileProbingNanos, false);
        }
      }
    }
  }

  /** A call reached the server and was answered (any answer that is not a transient failure). */
  public void onSuccess() {
    boolean reclosed;
    synchronized (this) {
      reclosed = state != State.CLOSED;
      state = State.CLOSED;
      consecutiveFailures = 0;
      probing = false;
    }
    if (reclosed) {
      listener.closed();
    }
  }

  /**
   * A call failed transiently (server unreachable, overloaded, too slow).
   *
   * @param probe whether it was the half-open probe
   */
  public void onFailure(boolean probe) {
    int failures = -1;
    synchronized (this) {
      long now = clock.getAsLong();
      switch (state) {
        case CLOSED -> {
          consecutiveFailures++;
          if (consecutiveFailures >= failureThreshold) {
            open(now);
            failures = consecutiveFailures;
          }
        }
        case HALF_OPEN -> {
          if (probe) {
            consecutiveFailures++;
            open(now);
            failures = consecutiveFailures;
          }
          // a call sent before the circuit opened: its failure says nothing new
        }
        default -> {
          // already open: calls sent before it opened fail late; the opening stands as it was
        }
      }
    }
    if (failures > 0) {
      listener.opened(failures);
    }
  }

  private void open(long now) {
    state = State.OPEN;
    openUntil = now + openNanos;
    probing = false;
    openings++;
  }

  public synchronized State state() {
    return state;
  }

  /** How many times the circuit has opened (including re-openings after a failed probe). */
  public synchronized long openings() {
    return openings;
  }

  public synchronized int consecutiveFailures() {
    return consecutiveFailures;
  }
}
