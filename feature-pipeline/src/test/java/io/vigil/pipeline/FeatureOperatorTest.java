package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.features.EntityState;
import io.vigil.features.FeatureEngine;
import io.vigil.features.FeatureSet;
import io.vigil.features.FeatureVectors;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.FeatureVector;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

class FeatureOperatorTest {

  private static final FeatureSet SET = FeatureSet.standard("t", List.of("a", "b"));

  private static List<FeatureVector> vectors(
      KeyedOneInputStreamOperatorTestHarness<String, DecodedSample, FeatureRecord> h) {
    return h.extractOutputValues().stream().map(r -> r.vector).collect(java.util.stream.Collectors.toCollection(ArrayList::new));
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, DecodedSample, FeatureRecord> harness()
      throws Exception {
    var h = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new FeatureOperator(SET, "vigil.telemetry", false)),
        s -> s.entity, Types.STRING);
    h.open();
    return h;
  }

  private static StreamRecord<DecodedSample> sample(String entity, long t, double a, double b) {
    return new StreamRecord<>(DecodedSample.ok(entity, t, new double[] {a, b}, t / 1000), t);
  }

  @Test
  void buffersUntilTheWatermarkThenEmitsInEventTimeOrder() throws Exception {
    try (var h = harness()) {
      h.processElement(sample("h1", 3000, 3, 3));
      h.processElement(sample("h1", 1000, 1, 1));
      h.processElement(sample("h1", 2000, 2, 2));
      assertThat(vectors(h)).isEmpty();
      h.processWatermark(2000);
      List<FeatureVector> out = vectors(h);
      assertThat(out).extracting(v -> v.getWindowEnd().toEpochMilli()).containsExactly(1000L, 2000L);
      h.processWatermark(3000);
      assertThat(vectors(h)).extracting(v -> v.getWindowEnd().toEpochMilli())
          .containsExactly(1000L, 2000L, 3000L);
      // the window edge: the third vector covers samples 1..3
      FeatureVector third = vectors(h).get(2);
      assertThat(third.getWindowStart().toEpochMilli()).isEqualTo(1000L);
      assertThat(third.getValues().get(1)).isEqualTo(2.0); // a.w10.mean
    }
  }

  @Test
  void lateAndDuplicateSamplesGoToTheSideOutputWithTheirReason() throws Exception {
    try (var h = harness()) {
      h.processElement(sample("h1", 5000, 1, 1));
      h.processWatermark(5000);
      h.processElement(sample("h1", 4000, 9, 9));      // behind the watermark
      h.processElement(sample("h1", 6000, 1, 1));
      h.processElement(sample("h1", 6000, 2, 2));      // same event time again
      h.processWatermark(7000);
      assertThat(vectors(h)).hasSize(2);
      List<String> codes = new ArrayList<>();
      for (StreamRecord<DeadLetter> r : h.getSideOutput(FeatureOperator.REJECTED)) {
        codes.add(r.getValue().getErrorCode());
        assertThat(r.getValue().getValue()).isNotNull();
      }
      assertThat(codes).containsExactly("LATE_RECORD", "DUPLICATE_SAMPLE");
    }
  }

  @Test
  void stateRestoredFromASnapshotContinuesExactlyAsIfUninterrupted() throws Exception {
    List<FeatureVector> straight;
    try (var h = harness()) {
      for (int i = 1; i <= 30; i++) {
        h.processElement(sample("h1", i * 1000L, Math.sin(i), i % 4));
        h.processElement(sample("h2", i * 1000L, Math.cos(i), i % 3));
      }
      h.processWatermark(Long.MAX_VALUE);
      straight = vectors(h);
    }
    OperatorSubtaskState snapshot;
    List<FeatureVector> first;
    try (var h = harness()) {
      for (int i = 1; i <= 15; i++) {
        h.processElement(sample("h1", i * 1000L, Math.sin(i), i % 4));
        h.processElement(sample("h2", i * 1000L, Math.cos(i), i % 3));
      }
      h.processWatermark(12_000);
      first = new ArrayList<>(vectors(h));
      snapshot = h.snapshot(1L, 1L);  // samples 13..15 still pending in state
    }
    var restored = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new FeatureOperator(SET, "vigil.telemetry", false)),
        (DecodedSample s) -> s.entity, Types.STRING);
    restored.initializeState(snapshot);
    restored.open();
    for (int i = 16; i <= 30; i++) {
      restored.processElement(sample("h1", i * 1000L, Math.sin(i), i % 4));
      restored.processElement(sample("h2", i * 1000L, Math.cos(i), i % 3));
    }
    restored.processWatermark(Long.MAX_VALUE);
    List<FeatureVector> all = new ArrayList<>(first);
    all.addAll(vectors(restored));
    restored.close();
    assertThat(all).containsExactlyInAnyOrderElementsOf(straight);
    assertThat(all).hasSize(60);
  }

  @Test
  void onlyTheEarliestPendingSampleOfAnEntityHasATimer() throws Exception {
    try (var h = harness()) {
      for (int i = 1; i <= 50; i++) {
        h.processElement(sample("h1", i * 1000L, i, i));
      }
      h.processElement(sample("h2", 7000, 1, 1));
      h.processElement(sample("h2", 5000, 1, 1));  // out of order: the timer moves to 5000
      assertThat(h.numEventTimeTimers()).isEqualTo(2);
      h.processWatermark(20_000);
      assertThat(vectors(h)).hasSize(22);
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      h.processWatermark(Long.MAX_VALUE);
      assertThat(vectors(h)).hasSize(52);
      assertThat(h.numEventTimeTimers()).isZero();
      // every vector carries its own event time, in event-time order per entity
      assertThat(h.getOutput()).filteredOn(StreamRecord.class::isInstance)
          .map(r -> (StreamRecord<?>) r)
          .allMatch(r -> r.getTimestamp() == ((FeatureRecord) r.getValue()).vector.getWindowEnd().toEpochMilli());
      assertThat(vectors(h)).filteredOn(v -> v.getEntity().equals("h1"))
          .extracting(v -> v.getWindowEnd().toEpochMilli()).isSorted();
    }
  }

  @Test
  void samplesBufferedByTheOneTimerPerSampleBuildAreRestoredAndProcessedInOrder() throws Exception {
    List<FeatureVector> straight;
    try (var h = harness()) {
      for (int i = 1; i <= 30; i++) {
        h.processElement(sample("h1", i * 1000L, Math.sin(i), i % 4));
      }
      h.processWatermark(Long.MAX_VALUE);
      straight = vectors(h);
    }
    OperatorSubtaskState snapshot;
    List<FeatureVector> first;
    try (var old = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new PerSampleTimerOperator()), (DecodedSample s) -> s.entity, Types.STRING)) {
      old.open();
      for (int i = 1; i <= 20; i++) {
        old.processElement(sample("h1", i * 1000L, Math.sin(i), i % 4));
      }
      old.processWatermark(12_000);
      first = new ArrayList<>(old.extractOutputValues());
      snapshot = old.snapshot(1L, 1L);  // samples 13..20 pending, one map entry and timer each
    }
    var restored = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new FeatureOperator(SET, "vigil.telemetry", false)),
        (DecodedSample s) -> s.entity, Types.STRING);
    restored.initializeState(snapshot);
    restored.open();
    restored.processElement(sample("h1", 15_000, 0, 0));  // a duplicate of a restored sample
    for (int i = 21; i <= 30; i++) {
      restored.processElement(sample("h1", i * 1000L, Math.sin(i), i % 4));
    }
    restored.processWatermark(Long.MAX_VALUE);
    List<FeatureVector> all = new ArrayList<>(first);
    all.addAll(vectors(restored));
    assertThat(restored.getSideOutput(FeatureOperator.REJECTED)).extracting(r -> r.getValue().getErrorCode())
        .containsExactly("DUPLICATE_SAMPLE");
    restored.close();
    assertThat(first).hasSize(12);
    assertThat(all).containsExactlyElementsOf(straight);
  }

  /** The operator's state as builds before {@code PendingSamples} kept it: one entry and timer per sample. */
  @Test
  void eachVectorCarriesTheTraceContextOfItsOwnSampleEvenOutOfOrder() throws Exception {
    String p2 = "00-00000000000000000000000000000002-0000000000000002-01";
    String p3 = "00-00000000000000000000000000000003-0000000000000003-01";
    try (var h = harness()) {
      DecodedSample first = DecodedSample.ok("h1", 1000L, new double[] {1, 2}, 1);
      DecodedSample third = DecodedSample.ok("h1", 3000L, new double[] {1, 2}, 3);
      third.traceparent = p3;
      third.tracestate = "v=3";
      DecodedSample second = DecodedSample.ok("h1", 2000L, new double[] {1, 2}, 2);
      second.traceparent = p2;
      h.processElement(new StreamRecord<>(first, 1000L));
      h.processElement(new StreamRecord<>(third, 3000L));
      h.processElement(new StreamRecord<>(second, 2000L)); // arrives last, inserted before the third
      h.processWatermark(Long.MAX_VALUE);
      List<FeatureRecord> out = h.extractOutputValues();
      assertThat(out).extracting(r -> r.vector.getSequence()).containsExactly(1L, 2L, 3L);
      assertThat(out).extracting(r -> r.traceparent).containsExactly(null, p2, p3);
      assertThat(out).extracting(r -> r.tracestate).containsExactly(null, null, "v=3");
    }
  }

  static final class PerSampleTimerOperator extends KeyedProcessFunction<String, DecodedSample, FeatureVector> {
    private static final long serialVersionUID = 1L;
    private transient FeatureEngine engine;
    private transient ValueState<EntityState> state;
    private transient MapState<Long, PendingSample> pending;

    @Override
    public void open(OpenContext ctx) {
      engine = new FeatureEngine(SET);
      state = getRuntimeContext().getState(
          new ValueStateDescriptor<>("entity-features", TypeInformation.of(EntityState.class)));
      pending = getRuntimeContext().getMapState(
          new MapStateDescriptor<>("pending-samples", Types.LONG, TypeInformation.of(PendingSample.class)));
    }

    @Override
    public void processElement(DecodedSample s, Context ctx, Collector<FeatureVector> out) throws Exception {
      pending.put(s.time, new PendingSample(s.values.clone(), s.sequence));
      ctx.timerService().registerEventTimeTimer(s.time);
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<FeatureVector> out) throws Exception {
      PendingSample p = pending.get(time);
      pending.remove(time);
      EntityState st = state.value() == null ? engine.newState() : state.value();
      double[] f = engine.update(st, time, p.values);
      state.update(st);
      out.collect(FeatureVectors.of(ctx.getCurrentKey(), engine.windowStart(st), time, SET, SET.version(),
          List.of(), f, p.sequence));
    }
  }

  @Test
  void engineStateIsAFlinkPojo() {
    var info = org.apache.flink.api.common.typeinfo.TypeInformation.of(EntityState.class);
    assertThat(info).isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
    assertThat(org.apache.flink.api.common.typeinfo.TypeInformation.of(PendingSample.class))
        .isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
    assertThat(org.apache.flink.api.common.typeinfo.TypeInformation.of(PendingSamples.class))
        .isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
    assertThat(new FeatureEngine(SET).width()).isEqualTo(SET.featureNames().size());
  }
}
