package io.vigil.labeling.auth;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Sliding one-minute window of login attempts per user name and per client address. A user name is
 * allowed {@code perMinute} attempts a minute, a client address ten times as many (many people may
 * share one address); a successful login does not reset the count, so a guesser gains nothing by
 * interleaving a known password.
 */
public final class LoginLimiter {

  private final int perMinute;
  private final LongSupplier clock;
  private final ConcurrentHashMap<String, Deque<Long>> attempts = new ConcurrentHashMap<>();

  public LoginLimiter(int perMinute, LongSupplier clockMillis) {
    this.perMinute = perMinute;
    this.clock = clockMillis;
  }

  /** Records an attempt; false if the user name or the client is over its limit. */
  public boolean tryAcquire(String username, String client) {
    boolean user = tryAcquire("user:" + username, perMinute);
    boolean addr = tryAcquire("client:" + client, perMinute * 10);
    return user && addr;
  }

  private boolean tryAcquire(String key, int limit) {
    long now = clock.getAsLong();
    boolean ok;
    Deque<Long> q = attempts.computeIfAbsent(key, k -> new ArrayDeque<>());
    synchronized (q) {
      while (!q.isEmpty() && q.peekFirst() <= now - 60_000) {
        q.pollFirst();
      }
      ok = q.size() < limit;
      if (ok) {
        q.addLast(now);
      }
    }
    if (attempts.size() > 100_000) {
      attempts.entrySet().removeIf(e -> {
        synchronized (e.getValue()) {
          return e.getValue().isEmpty() || e.getValue().peekLast() <= now - 60_000;
        }
      });
    }
    return ok;
  }
}
