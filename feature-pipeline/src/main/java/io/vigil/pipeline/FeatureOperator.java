package io.vigil.pipeline;

import io.vigil.features.EntityState;
import io.vigil.features.FeatureEngine;
import io.vigil.features.FeatureSet;
import io.vigil.features.FeatureVectors;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.FeatureVector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The feature library inside a keyed operator. Per entity it buffers samples in keyed state until
 * the watermark passes their event time, then feeds them to the {@link FeatureEngine} in event-time
 * order and emits one {@link FeatureVector} per sample. The engine's state and the buffer live in
 * Flink keyed state, so they survive restarts and rescaling.
 *
 * <p>The buffer ({@link PendingSamples}) is one sorted value per entity with one event-time timer,
 * at its earliest sample: when the watermark passes it, every sample the watermark has passed is
 * processed in one go and the timer moves to the next pending sample. A catching-up job thus fires
 * one timer per entity per watermark step instead of one per sample.
 *
 * <p>Samples behind the watermark on arrival (late) or repeating an event time already seen
 * (duplicates) are counted and sent to the {@link #REJECTED} side output with their values.
 */
public final class FeatureOperator extends KeyedProcessFunction<String, DecodedSample, FeatureRecord> {

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
  private transient double[] scratch;
  private transient ValueState<EntityState> state;
  private transient ValueState<PendingSamples> pending;
  /** The buffer of builds before {@link PendingSamples}; read only to migrate restored entries. */
  private transient MapState<Long, PendingSample> legacyPending;
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
    scratch = new double[set.metrics().size()];
    state = getRuntimeContext().getState(
        new ValueStateDescriptor<>("entity-features", TypeInformation.of(EntityState.class)));
    pending = getRuntimeContext().getState(
        new ValueStateDescriptor<>("pending-buffer", TypeInformation.of(PendingSamples.class)));
    legacyPending = getRuntimeContext().getMapState(
        new MapStateDescriptor<>("pending-samples", Types.LONG, TypeInformation.of(PendingSample.class)));
    late = getRuntimeContext().getMetricGroup().counter("lateSamples");
    duplicates = getRuntimeContext().getMetricGroup().counter("duplicateSamples");
    emitted = getRuntimeContext().getMetricGroup().counter("featureVectors");
  }

  @Override
  public void processElement(DecodedSample s, Context ctx, Collector<FeatureRecord> out) throws Exception {
    long watermark = ctx.timerService().currentWatermark();
    if (s.time <= watermark) {
      late.inc();
      ctx.output(REJECTED, DeadLetters.outOfOrder("LATE_RECORD", "event time " + s.time
          + " is behind the watermark " + watermark + " of entity " + s.entity, sourceTopic, s.entity,
          s.time, set.metrics(), s.values, s.sequence));
      return;
    }
    PendingSamples p = pendingSamples();
    EntityState st = state.value();
    if (p.contains(s.time) || (st != null && s.time <= st.lastTime)) {
      duplicates.inc();
      ctx.output(REJECTED, DeadLetters.outOfOrder("DUPLICATE_SAMPLE", "entity " + s.entity
          + " already has a sample at event time " + s.time, sourceTopic, s.entity, s.time,
          set.metrics(), s.values, s.sequence));
      return;
    }
    long head = p.isEmpty() ? Long.MAX_VALUE : p.headTime();
    p.insert(s.time, s.values, s.sequence, s.traceparent, s.tracestate);
    pending.update(p);
    if (s.time < head) {
      // the entity's one timer stays at its earliest pending sample
      if (head != Long.MAX_VALUE) {
        ctx.timerService().deleteEventTimeTimer(head);
      }
      ctx.timerService().registerEventTimeTimer(s.time);
    }
  }

  @Override
  public void onTimer(long time, OnTimerContext ctx, Collector<FeatureRecord> out) throws Exception {
    PendingSamples p = pendingSamples();
    int due = p.countUpTo(Math.max(time, ctx.timerService().currentWatermark()));
    if (due == 0) {
      return;  // a timer of the per-sample buffer, its sample already processed
    }
    EntityState st = state.value();
    if (st == null || !engine.fits(st)) {
      st = engine.newState();
    }
    String entity = ctx.getCurrentKey();
    for (int i = 0; i < due; i++) {
      long t = p.times[i];
      p.valuesOf(i, scratch);
      double[] f = engine.update(st, t, scratch);
      if (out instanceof TimestampedCollector<FeatureRecord> timestamped) {
        // each vector carries its own event time, not the timer's
        timestamped.setAbsoluteTimestamp(t);
      }
      out.collect(FeatureRecord.of(FeatureVectors.of(entity, engine.windowStart(st), t, set, version, names, f,
          p.sequences[i]), p.traceparentOf(i), p.tracestateOf(i)));
    }
    emitted.inc(due);
    state.update(st);
    p.removeFirst(due);
    pending.update(p);
    if (!p.isEmpty()) {
      ctx.timerService().registerEventTimeTimer(p.headTime());
    }
  }

  /**
   * The entity's buffer. The first time an entity is seen by this build, samples that a savepoint
   * of an older build (one map entry and one timer per sample) restored for it move into the
   * buffer; their old timers fire later and find nothing to do.
   */
  private PendingSamples pendingSamples() throws Exception {
    PendingSamples p = pending.value();
    if (p != null) {
      return p;
    }
    p = PendingSamples.empty(scratch.length);
    if (!legacyPending.isEmpty()) {
      List<Map.Entry<Long, PendingSample>> restored = new ArrayList<>();
      legacyPending.entries().forEach(restored::add);
      for (Map.Entry<Long, PendingSample> e : restored) {
        p.insert(e.getKey(), e.getValue().values, e.getValue().sequence);
      }
      legacyPending.clear();
      pending.update(p);
      // a timer at the new head exists already: the old build registered one per sample
    }
    return p;
  }
}
