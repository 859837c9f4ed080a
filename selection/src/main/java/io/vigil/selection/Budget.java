package io.vigil.selection;

/**
 * How many queries an entity may spend, and when. Higher-priority kinds get budget first:
 * {@link QueryKind#AUDIT} is only asked from surplus.
 */
public sealed interface Budget extends java.io.Serializable
    permits Budget.Paced, Budget.PerHour, Budget.Unlimited {

  /** True when a query of this kind may be asked now (nothing is spent). */
  boolean allows(EntityQueryState s, QueryKind kind, long timeMillis);

  /** Records that a query was asked. */
  void spend(EntityQueryState s, long timeMillis);

  /**
   * A total budget paced over a known number of windows (as in an evaluation): by window {@code t}
   * of {@code T} at most {@code total * t / T + slack} queries, so the budget is not spent on the
   * first burst.
   */
  record Paced(int total, long windows, int slack) implements Budget {
    public Paced {
      if (total < 0 || windows < 1 || slack < 0) {
        throw new IllegalArgumentException("paced budget: total >= 0, windows >= 1, slack >= 0");
      }
    }

    @Override
    public boolean allows(EntityQueryState s, QueryKind kind, long timeMillis) {
      long allowed = Math.min(total, total * s.seen / windows + slack);
      return s.queries < allowed;
    }

    @Override
    public void spend(EntityQueryState s, long timeMillis) {
      // queries are counted by the policy
    }
  }

  /**
   * A token bucket per entity over event time: {@code perHour} tokens an hour, at most {@code burst}
   * saved up. Follow-ups and uncertain windows need one token; audits only run from a bucket at
   * least half full, so they never take the budget the other kinds need.
   */
  record PerHour(double perHour, double burst) implements Budget {
    public PerHour {
      if (!(perHour > 0) || !(burst >= 1)) {
        throw new IllegalArgumentException("per-hour budget: perHour > 0 and burst >= 1 needed");
      }
    }

    @Override
    public boolean allows(EntityQueryState s, QueryKind kind, long timeMillis) {
      refill(s, timeMillis);
      double need = kind == QueryKind.AUDIT ? Math.max(1, burst / 2) : 1;
      return s.tokens >= need;
    }

    @Override
    public void spend(EntityQueryState s, long timeMillis) {
      refill(s, timeMillis);
      s.tokens = Math.max(0, s.tokens - 1);
    }

    private void refill(EntityQueryState s, long timeMillis) {
      if (s.tokens < 0) {
        s.tokens = burst;
        s.tokensAt = timeMillis;
        return;
      }
      if (timeMillis > s.tokensAt) {
        s.tokens = Math.min(burst, s.tokens + perHour * (timeMillis - s.tokensAt) / 3_600_000.0);
        s.tokensAt = timeMillis;
      }
    }
  }

  /** No limit (tests, or a downstream stage that enforces one). */
  record Unlimited() implements Budget {
    @Override
    public boolean allows(EntityQueryState s, QueryKind kind, long timeMillis) {
      return true;
    }

    @Override
    public void spend(EntityQueryState s, long timeMillis) {}
  }
}
