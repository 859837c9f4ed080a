package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import io.vigil.drift.stats.DriftPolicy;
import io.vigil.drift.stats.HysteresisAlarm;
import io.vigil.drift.stats.MonitorState;
import io.vigil.drift.stats.PerformanceEstimate;
import io.vigil.features.FeatureSet;
import io.vigil.schemas.DriftReport;
import io.vigil.schemas.FeatureDrift;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes one model version's window: the statistics against the cached reference, the online
 * detector and the alarm (their {@link MonitorState} is keyed state of the model version, kept
 * across windows), CBPE, and the {@link DriftReport}. Metrics: {@code driftReports}, {@code
 * alarmsRaised}, {@code lastDriftedShare}, {@code lastEstimatedF1}, {@code windowComputeMicros}.
 */
public final class DriftWindowFunction
    extends ProcessWindowFunction<WindowAccumulator, DriftReport, String, TimeWindow> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DriftWindowFunction.class);

  private final ReferenceSource source;
  private final String setYaml;
  private transient FeatureSet set;
  private final DriftPolicy policy;
  private final long retryAfterMillis;
  private transient ReferenceCache cache;
  private transient WindowEvaluator evaluator;
  private transient ValueStateDescriptor<MonitorState> stateDescriptor;
  private transient Counter reports;
  private transient Counter alarms;
  private transient Histogram computeMicros;
  private transient volatile double lastShare;
  private transient volatile double lastEstimatedF1;

  public DriftWindowFunction(ReferenceSource source, FeatureSet set, DriftPolicy policy, long retryAfterMillis) {
    this.source = requireNonNull(source, "source");
    this.setYaml = requireNonNull(set, "set").toYaml();
    this.policy = requireNonNull(policy, "policy");
    this.retryAfterMillis = retryAfterMillis;
  }

  @Override
  public void open(OpenContext ctx) {
    set = FeatureSet.parse(setYaml);
    source.open();
    cache = new ReferenceCache(source, new FeatureMetrics(set.metrics()), retryAfterMillis, System::currentTimeMillis);
    evaluator = new WindowEvaluator(policy);
    stateDescriptor = new ValueStateDescriptor<>("drift-monitor", MonitorState.class);
    var g = getRuntimeContext().getMetricGroup();
    reports = g.counter("driftReports");
    alarms = g.counter("alarmsRaised");
    computeMicros = g.histogram("windowComputeMicros", new DescriptiveStatisticsHistogram(500));
    lastShare = Double.NaN;
    lastEstimatedF1 = Double.NaN;
    g.gauge("lastDriftedShare", () -> lastShare);
    g.gauge("lastEstimatedF1", () -> lastEstimatedF1);
  }

  @Override
  public void close() {
    source.close();
  }

  @Override
  public void process(String key, Context ctx, Iterable<WindowAccumulator> in, Collector<DriftReport> out)
      throws Exception {
    WindowAccumulator acc = in.iterator().next();
    String[] parts = key.split("\u0000", 2);
    ReferenceModel ref = cache.model(parts[0], parts[1]);
    ValueState<MonitorState> stateHandle = ctx.globalState().getState(stateDescriptor);
    MonitorState state = stateHandle.value();
    if (state == null) {
      state = new MonitorState();
    }
    long t0 = System.nanoTime();
    WindowEvaluator.Assessment a = evaluator.assess(ref, acc, state);
    computeMicros.update((System.nanoTime() - t0) / 1000);
    stateHandle.update(state);

    DriftReport report = report(parts[0], parts[1], ctx.window(), a);
    reports.inc();
    lastShare = a.driftedShare();
    lastEstimatedF1 = a.estimate().f1() == null ? Double.NaN : a.estimate().f1();
    if (a.decision().transition() == HysteresisAlarm.Transition.RAISED) {
      alarms.inc();
      LOG.warn("model {} version {} window {}..{}: {}", parts[0], parts[1], Instant.ofEpochMilli(ctx.window().getStart()),
          Instant.ofEpochMilli(ctx.window().getEnd()), a.decision().reason());
    } else if (a.decision().transition() == HysteresisAlarm.Transition.CLEARED) {
      LOG.info("model {} version {} window {}..{}: drift alarm cleared", parts[0], parts[1],
          Instant.ofEpochMilli(ctx.window().getStart()), Instant.ofEpochMilli(ctx.window().getEnd()));
    }
    out.collect(report);
  }

  /** The Avro report of one assessed window. */
  public static DriftReport report(String model, String version, TimeWindow w, WindowEvaluator.Assessment a) {
    List<FeatureDrift> features = new ArrayList<>(a.features().size());
    for (WindowEvaluator.FeatureResult r : a.features()) {
      features.add(drift(r));
    }
    PerformanceEstimate e = a.estimate();
    return DriftReport.newBuilder()
        .setModelName(model)
        .setModelVersion(version)
        .setWindowStart(Instant.ofEpochMilli(w.getStart()))
        .setWindowEnd(Instant.ofEpochMilli(w.getEnd()))
        .setSampleCount(a.samples())
        .setFeatures(features)
        .setDriftedShare(a.driftedShare())
        .setScore(drift(a.score()))
        .setAlarm(a.decision().alarm())
        .setAlarmReason(a.decision().reason())
        .setEstimatedPrecision(e.precision())
        .setEstimatedRecall(e.recall())
        .setEstimatedF1(e.f1())
        .build();
  }

  private static FeatureDrift drift(WindowEvaluator.FeatureResult r) {
    return FeatureDrift.newBuilder()
        .setFeature(r.feature())
        .setPsi(r.distances().psi())
        .setJensenShannon(r.distances().jensenShannon())
        .setKs(r.distances().ks())
        .setWasserstein(r.distances().wasserstein())
        .setDrifted(r.drifted())
        .build();
  }
}
