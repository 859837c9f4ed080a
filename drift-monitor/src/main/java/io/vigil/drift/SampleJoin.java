package io.vigil.drift;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins feature vectors and predictions by sample id (keyed by sample id; both inputs arrive as
 * one union). A vector waits in keyed state for its predictions — several, when a champion and a
 * challenger both score it — and a prediction for its vector; each pair is emitted once as a
 * {@code JOINED} input carrying the vector's values and the prediction's fields. An event-time
 * timer at {@code time + joinTtl} clears the key, so unmatched records do not pile up; they are
 * counted ({@code unmatchedFeatures}, {@code unmatchedPredictions}).
 */
public final class SampleJoin extends KeyedProcessFunction<String, DriftInput, DriftInput> {
  private static final long serialVersionUID = 1L;

  private final long ttlMillis;
  private transient ValueState<DriftInput> vector;
  private transient ListState<DriftInput> pending;
  private transient ValueState<Boolean> matched;
  private transient Counter joined;
  private transient Counter unmatchedFeatures;
  private transient Counter unmatchedPredictions;
  private transient Counter duplicates;

  public SampleJoin(Duration joinTtl) {
    this.ttlMillis = joinTtl.toMillis();
  }

  @Override
  public void open(OpenContext ctx) {
    vector = getRuntimeContext().getState(new ValueStateDescriptor<>("vector", DriftInput.class));
    pending = getRuntimeContext().getListState(new ListStateDescriptor<>("pending-predictions", DriftInput.class));
    matched = getRuntimeContext().getState(new ValueStateDescriptor<>("matched", Boolean.class));
    var g = getRuntimeContext().getMetricGroup();
    joined = g.counter("joinedSamples");
    unmatchedFeatures = g.counter("unmatchedFeatures");
    unmatchedPredictions = g.counter("unmatchedPredictions");
    duplicates = g.counter("duplicateFeatures");
  }

  @Override
  public void processElement(DriftInput in, Context ctx, Collector<DriftInput> out) throws Exception {
    if (in.kind == DriftInput.Kind.FEATURES) {
      if (vector.value() != null) {
        duplicates.inc(); // the same sample id again (a replay): the first one stands
        return;
      }
      vector.update(in);
      List<DriftInput> waiting = new ArrayList<>();
      for (DriftInput p : pending.get()) {
        waiting.add(p);
      }
      for (DriftInput p : waiting) {
        out.collect(join(in, p));
      }
      if (!waiting.isEmpty()) {
        matched.update(true);
      }
      pending.clear();
      ctx.timerService().registerEventTimeTimer(in.time + ttlMillis);
    } else if (in.kind == DriftInput.Kind.PREDICTION) {
      DriftInput v = vector.value();
      if (v != null) {
        out.collect(join(v, in));
        matched.update(true);
      } else {
        pending.add(in);
        ctx.timerService().registerEventTimeTimer(in.time + ttlMillis);
      }
    } else {
      throw new IllegalArgumentException("sample join got a " + in.kind + " record");
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<DriftInput> out) throws Exception {
    DriftInput v = vector.value();
    if (v != null && v.time + ttlMillis > timestamp) {
      return; // a later timer of this key will clear it
    }
    if (v != null && matched.value() == null) {
      unmatchedFeatures.inc();
    }
    for (DriftInput ignored : pending.get()) {
      unmatchedPredictions.inc();
    }
    vector.clear();
    pending.clear();
    matched.clear();
  }

  private DriftInput join(DriftInput v, DriftInput p) {
    joined.inc();
    DriftInput j = new DriftInput();
    j.kind = DriftInput.Kind.JOINED;
    j.sampleId = v.sampleId;
    j.entity = v.entity;
    j.time = p.time;
    j.featureSetVersion = v.featureSetVersion;
    j.names = v.names;
    j.values = v.values;
    j.modelName = p.modelName;
    j.modelVersion = p.modelVersion;
    j.score = p.score;
    j.probability = p.probability;
    j.anomaly = p.anomaly;
    return j;
  }
}
