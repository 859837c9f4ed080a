package io.vigil.drift.requests;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global budget across entities: at most {@code perHour} label requests per event-time hour
 * (UTC hours of the windows asked about), highest priority first. Runs with parallelism 1 on one
 * constant key.
 *
 * <p>Candidates are buffered, not emitted greedily: each waits for the end of its release interval
 * ({@code releaseEvery}, which divides the hour into K intervals). When the watermark passes the end
 * of the k-th interval, the buffered candidates are sorted (priority, then kind: follow-ups before
 * uncertain windows before audits, then time and id) and released while the hour's count stays
 * within {@code ceil(perHour * k / K)}; the others wait for the next interval, and whatever is left
 * when the hour ends is dropped (counted in {@code requestsOverGlobalBudget}). So a quiet start of
 * the hour leaves budget for later, a burst cannot take the whole hour at once, and a request waits
 * at most one interval (plus the watermark delay). A candidate that arrives behind the watermark
 * joins the next interval.
 *
 * <p>When the inputs fall silent, event time stands still and no interval ends: a candidate that has
 * waited {@code maxHold} of processing time is released as if the watermark had reached the end of
 * its interval (with every other candidate due by then, under that interval's budget). The operator
 * then counts event time as released through that point: a candidate that comes later joins a later
 * interval, so the hourly counts never go back to an hour already released.
 */
public final class GlobalBudgetOperator extends KeyedProcessFunction<Integer, Candidate, Candidate> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(GlobalBudgetOperator.class);
  static final long HOUR = 3_600_000L;

  /** Orders candidates for release: highest priority first, then kind, time and id (deterministic). */
  static final Comparator<Candidate> RELEASE_ORDER =
      Comparator.comparingDouble((Candidate c) -> -c.priority)
          .thenComparingInt(c -> c.kindRank)
          .thenComparingLong(c -> c.createdAt)
          .thenComparing(c -> c.requestId);

  private final int perHour;
  private final long releaseEvery;
  private final long maxHold;

  private transient ListState<Candidate> buffer;
  /** [hour start, requests released in that hour]. */
  private transient ValueState<long[]> hourCount;
  /** The last event time released by a {@code maxHold} fallback (null: none yet). */
  private transient ValueState<Long> releasedThrough;
  private transient Counter released;
  private transient Counter dropped;

  public GlobalBudgetOperator(LabelRequestConfig.GlobalBudget budget) {
    requireNonNull(budget, "budget");
    this.perHour = budget.perHour();
    this.releaseEvery = budget.releaseEvery().toMillis();
    this.maxHold = budget.maxHold().toMillis();
  }

  @Override
  public void open(OpenContext ctx) {
    buffer = getRuntimeContext().getListState(
        new ListStateDescriptor<>("budget-candidates", TypeInformation.of(Candidate.class)));
    hourCount = getRuntimeContext().getState(
        new ValueStateDescriptor<>("budget-hour-count", TypeInformation.of(long[].class)));
    releasedThrough = getRuntimeContext().getState(
        new ValueStateDescriptor<>("budget-released-through", TypeInformation.of(Long.class)));
    released = getRuntimeContext().getMetricGroup().counter("requestsReleased");
    dropped = getRuntimeContext().getMetricGroup().counter("requestsOverGlobalBudget");
  }

  /** Last millisecond of the release interval that holds {@code t}. */
  long releaseTime(long t) {
    return Math.floorDiv(t, releaseEvery) * releaseEvery + releaseEvery - 1;
  }

  @Override
  public void processElement(Candidate c, Context ctx, Collector<Candidate> out) throws Exception {
    long watermark = ctx.timerService().currentWatermark();
    Long through = releasedThrough.value();
    long after = Math.max(watermark, through == null ? Long.MIN_VALUE : through);
    c.due = releaseTime(Math.max(c.createdAt, after == Long.MIN_VALUE ? c.createdAt : after + 1));
    long now = ctx.timerService().currentProcessingTime();
    c.heldUntil = now + maxHold;
    buffer.add(c);
    ctx.timerService().registerEventTimeTimer(c.due);
    ctx.timerService().registerProcessingTimeTimer(c.heldUntil);
  }

  @Override
  public void onTimer(long time, OnTimerContext ctx, Collector<Candidate> out) throws Exception {
    if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
      release(time, ctx, out);
      return;
    }
    // processing time: has a candidate waited maxHold for event time to end its interval?
    long through = Long.MIN_VALUE;
    for (Candidate c : buffer.get()) {
      if (c.heldUntil <= time) {
        through = Math.max(through, c.due);
      }
    }
    if (through == Long.MIN_VALUE) {
      return;
    }
    LOG.info("global budget: event time stands still at {}; releasing the candidates due by {} after {} ms",
        ctx.timerService().currentWatermark() == Long.MIN_VALUE ? "its start"
            : java.time.Instant.ofEpochMilli(ctx.timerService().currentWatermark()),
        java.time.Instant.ofEpochMilli(through), maxHold);
    releasedThrough.update(through);
    release(through, ctx, out);
  }

  /** Releases, under the budget of {@code time}'s hour, the candidates due by {@code time}. */
  private void release(long time, OnTimerContext ctx, Collector<Candidate> out) throws Exception {
    List<Candidate> due = new ArrayList<>();
    List<Candidate> later = new ArrayList<>();
    for (Candidate c : buffer.get()) {
      (c.due <= time ? due : later).add(c);
    }
    if (due.isEmpty()) {
      return;
    }
    long hour = Math.floorDiv(time, HOUR) * HOUR;
    long[] count = hourCount.value();
    if (count == null || count[0] != hour) {
      count = new long[] {hour, 0};
    }
    long elapsed = time + 1 - hour;
    long allowed = (long) Math.ceil(perHour * (double) elapsed / HOUR) - count[1];
    due.sort(RELEASE_ORDER);
    boolean hourEnds = elapsed >= HOUR;
    int n = 0;
    for (Candidate c : due) {
      if (n < allowed) {
        out.collect(c);
        n++;
      } else if (hourEnds) {
        dropped.inc();
        LOG.debug("label request {} ({}) over the global budget of hour {}", c.requestId, c.entity, hour);
      } else {
        c.due = time + releaseEvery;
        c.heldUntil = ctx.timerService().currentProcessingTime() + maxHold;
        later.add(c);
        ctx.timerService().registerEventTimeTimer(c.due);
        ctx.timerService().registerProcessingTimeTimer(c.heldUntil);
      }
    }
    if (hourEnds && due.size() > n) {
      LOG.info("global budget: {} label requests released, {} dropped for the hour starting {}",
          count[1] + n, due.size() - n, java.time.Instant.ofEpochMilli(hour));
    }
    released.inc(n);
    count[1] += n;
    hourCount.update(count);
    buffer.update(later);
  }
}
