package io.vigil.drift;

import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Meets predictions with their labels by sample id (keyed by sample id): each prediction's model
 * version, event time and flag wait in keyed state (processing-time TTL {@code labelTtl}) for a
 * label, and a label that comes first waits for its predictions the same way. Each meeting emits a
 * {@link LabelOutcome}. Unsure/skip answers are ignored; a later label for the same sample replaces
 * the earlier one's outcome for windows not yet checked (the check counts each sample once per model
 * version, with the newest label).
 */
public final class LabelJoin extends KeyedCoProcessFunction<String, DriftInput, DriftInput, LabelOutcome> {
  private static final long serialVersionUID = 1L;

  private final Duration ttl;
  private transient MapState<String, LabelOutcome> predictions;
  private transient ValueState<Integer> label;
  private transient Counter labelled;

  public LabelJoin(Duration labelTtl) {
    this.ttl = labelTtl;
  }

  @Override
  public void open(OpenContext ctx) {
    StateTtlConfig t = StateTtlConfig.newBuilder(ttl).build();
    MapStateDescriptor<String, LabelOutcome> pd =
        new MapStateDescriptor<>("predictions-for-labels", String.class, LabelOutcome.class);
    pd.enableTimeToLive(t);
    predictions = getRuntimeContext().getMapState(pd);
    ValueStateDescriptor<Integer> ld = new ValueStateDescriptor<>("label", Integer.class);
    ld.enableTimeToLive(t);
    label = getRuntimeContext().getState(ld);
    labelled = getRuntimeContext().getMetricGroup().counter("labelledPredictions");
  }

  @Override
  public void processElement1(DriftInput p, Context ctx, Collector<LabelOutcome> out) throws Exception {
    LabelOutcome o = new LabelOutcome();
    o.modelName = p.modelName;
    o.modelVersion = p.modelVersion;
    o.time = p.time;
    o.predicted = p.anomaly;
    predictions.put(p.modelKey(), o);
    Integer l = label.value();
    if (l != null) {
      emit(o, l, out);
    }
  }

  @Override
  public void processElement2(DriftInput l, Context ctx, Collector<LabelOutcome> out) throws Exception {
    if (l.label < 0) {
      return;
    }
    label.update(l.label);
    for (LabelOutcome o : predictions.values()) {
      emit(o, l.label, out);
    }
  }

  private void emit(LabelOutcome o, int l, Collector<LabelOutcome> out) {
    LabelOutcome e = new LabelOutcome();
    e.modelName = o.modelName;
    e.modelVersion = o.modelVersion;
    e.time = o.time;
    e.predicted = o.predicted;
    e.actual = l == 1;
    labelled.inc();
    out.collect(e);
  }
}
