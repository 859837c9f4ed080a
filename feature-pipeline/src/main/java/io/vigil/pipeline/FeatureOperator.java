package io.vigil.pipeline;

import io.vigil.features.EntityState;
import io.vigil.features.FeatureEngine;
import io.vigil.features.FeatureSet;
import io.vigil.features.FeatureVectors;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.FeatureVector;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The feature library inside a keyed operator. Per entity it buffers samples in keyed state until
 * the watermark passes their event time, then feeds them to the {@link FeatureEngine} in event-time
 * order (event-time timers fire in timestamp order) and emits one {@link FeatureVector} per sample.
 * The engine's state lives in Flink keyed state, so it survives restarts and rescaling.
 *
 * <p>Samples behind the watermark on arrival (late) or repeating an event time already seen
 * (duplicates) are counted and sent to the {@link #REJECTED} side output with their values.
 */
public final class FeatureOperator extends KeyedProcessFunction<String, DecodedSample, FeatureVector> {

  private static final long serialVersionUID = 1L;

  /** Late and duplicate samples, as dead letters. */
  public static final OutputTag<DeadLetter> REJECTED =
      new OutputTag<>("rejected-samples", TypeInformation.of(DeadLetter.class));

  private final String featureSetYaml;
  private final String sourceTopic;
  private final boolean includeNames;

  private transient FeatureSet set;
  private transient FeatureEngine engine;
  private transient String version;
  private transient List<String> names;
  private transient ValueState<EntityState> state;
  private transient MapState<Long, PendingSample> pending;
  private transient Counter late;
  private transient Counter duplicates;
  private transient Counter emitted;

  public FeatureOperator(FeatureSet set, String sourceTopic, boolean includeNames) {
    this.featureSetYaml = set.toYaml();
    this.sourceTopic = sourceTopic;
    this.includeNames = includeNames;
  }

  @Override
  public void open(OpenContext ctx) {
    set = FeatureSet.parse(featureSetYaml);
    engine = new FeatureEngine(set);
    version = set.version();
    names = includeNames ? set.featureNames() : List.of();
    state = getRuntimeContext().getState(
        new ValueStateDescriptor<>("entity-features", TypeInformation.of(EntityState.class)));
    pending = getRuntimeContext().getMapState(
        new MapStateDescriptor<>("pending-samples", Types.LONG, TypeInformation.of(PendingSample.class)));
    late = getRuntimeContext().getMetricGroup().counter("lateSamples");
    duplicates = getRuntimeContext().getMetricGroup().counter("duplicateSamples");
    emitted = getRuntimeContext().getMetricGroup().counter("featureVectors");
  }

  @Override
  public void processElement(DecodedSample s, Context ctx, Collector<FeatureVector> out) throws Exception {
    long watermark = ctx.timerService().currentWatermark();
    if (s.time <= watermark) {
      late.inc();
      ctx.output(REJECTED, DeadLetters.outOfOrder("LATE_RECORD", "event time " + s.time
          + " is behind the watermark " + watermark + " of entity " + s.entity, sourceTopic, s.entity,
          s.time, set.metrics(), s.values, s.sequence));
      return;
    }
    EntityState st = state.value();
    if (pending.contains(s.time) || (st != null && s.time <= st.lastTime)) {
      duplicates.inc();
      ctx.output(REJECTED, DeadLetters.outOfOrder("DUPLICATE_SAMPLE", "entity " + s.entity
          + " already has a sample at event time " + s.time, sourceTopic, s.entity, s.time,
          set.metrics(), s.values, s.sequence));
      return;
    }
    pending.put(s.time, new PendingSample(s.values.clone(), s.sequence));
    ctx.timerService().registerEventTimeTimer(s.time);
  }

  @Override
  public void onTimer(long time, OnTimerContext ctx, Collector<FeatureVector> out) throws Exception {
    PendingSample p = pending.get(time);
    if (p == null) {
      return;
    }
    pending.remove(time);
    EntityState st = state.value();
    if (st == null || !engine.fits(st)) {
      st = engine.newState();
    }
    double[] f = engine.update(st, time, p.values);
    state.update(st);
    String entity = ctx.getCurrentKey();
    out.collect(FeatureVectors.of(entity, engine.windowStart(st), time, set, version, names, f, p.sequence));
    emitted.inc();
  }
}
