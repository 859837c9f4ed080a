package io.vigil.drift;

import io.vigil.drift.stats.PerformanceEstimate;
import java.time.Duration;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks CBPE against labels, per model version (keyed by model version): each report's estimated
 * F1 and each labelled prediction land in the window they belong to (keyed state, processing-time
 * TTL {@code labelTtl}); whenever a window has both, its realised F1 over the labels so far is logged
 * beside the estimate, and exposed as the gauges {@code lastRealisedF1} and {@code f1Gap} (estimated
 * minus realised). A retracted outcome ({@link LabelOutcome#retract}: the sample was relabelled or
 * its label retracted) is taken out of its window's counts. Nothing is emitted.
 */
public final class LabelCheck extends KeyedProcessFunction<String, LabelOutcome, Void> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(LabelCheck.class);

  private final long windowMillis;
  private final Duration ttl;
  private transient MapState<Long, Double> estimates;
  private transient MapState<Long, long[]> confusion;
  private transient Counter checks;
  private transient volatile double lastRealised;
  private transient volatile double lastGap;

  public LabelCheck(Duration window, Duration labelTtl) {
    this.windowMillis = window.toMillis();
    this.ttl = labelTtl;
  }

  @Override
  public void open(OpenContext ctx) {
    StateTtlConfig t = StateTtlConfig.newBuilder(ttl).build();
    MapStateDescriptor<Long, Double> ed = new MapStateDescriptor<>("estimated-f1", Long.class, Double.class);
    ed.enableTimeToLive(t);
    estimates = getRuntimeContext().getMapState(ed);
    MapStateDescriptor<Long, long[]> cd = new MapStateDescriptor<>("realised-confusion", Long.class, long[].class);
    cd.enableTimeToLive(t);
    confusion = getRuntimeContext().getMapState(cd);
    var g = getRuntimeContext().getMetricGroup();
    checks = g.counter("labelChecks");
    lastRealised = Double.NaN;
    lastGap = Double.NaN;
    g.gauge("lastRealisedF1", () -> lastRealised);
    g.gauge("f1Gap", () -> lastGap);
  }

  /** The realised F1 of the last check (NaN before one, or when it was undefined). */
  double lastRealisedF1() {
    return lastRealised;
  }

  /** Estimated minus realised F1 of the last check (NaN when either was missing). */
  double lastF1Gap() {
    return lastGap;
  }

  @Override
  public void processElement(LabelOutcome o, Context ctx, Collector<Void> out) throws Exception {
    long start = Math.floorDiv(o.time, windowMillis) * windowMillis;
    if (o.estimate) {
      estimates.put(start, o.estimatedF1);
    } else {
      long[] c = confusion.get(start);
      if (c == null) {
        c = new long[4]; // tp, fp, fn, tn
      }
      int cell = o.predicted ? (o.actual ? 0 : 1) : (o.actual ? 2 : 3);
      if (o.retract) {
        if (c[cell] == 0) {
          return; // its window's counts have expired (TTL): nothing to take back
        }
        c[cell]--;
      } else {
        c[cell]++;
      }
      confusion.put(start, c);
    }
    Double est = estimates.get(start);
    long[] c = confusion.get(start);
    if (est == null || c == null || c[0] + c[1] + c[2] + c[3] == 0) {
      return;
    }
    PerformanceEstimate realised = PerformanceEstimate.of(c[0], c[1], c[2], c[0] + c[1] + c[2] + c[3]);
    checks.inc();
    if (realised.f1() != null) {
      lastRealised = realised.f1();
      lastGap = Double.isNaN(est) ? Double.NaN : est - realised.f1();
    }
    LOG.info("model {} version {} window from {}: estimated F1 {}, realised F1 {} over {} labels (gap {})",
        o.modelName, o.modelVersion, Instant.ofEpochMilli(start), Double.isNaN(est) ? "none" : est,
        realised.f1() == null ? "undefined" : realised.f1(), c[0] + c[1] + c[2] + c[3],
        Double.isNaN(est) || realised.f1() == null ? "n/a" : est - realised.f1());
  }
}
