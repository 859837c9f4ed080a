package io.vigil.drift;

import java.time.Duration;
import java.util.Map;
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
 * {@link LabelOutcome}.
 *
 * <p>A sample's label follows its label events as the retrain watcher folds them: events are
 * de-duplicated on their id; an event with {@code retracts} takes the named event back (also when
 * that one arrives later) and gives no label of its own; unsure and skip answers give none either;
 * of the remaining answers the latest by label time wins. When that winner's answer changes — a
 * relabel, a retraction — each waiting prediction's earlier outcome is taken back ({@code retract})
 * before the new one is emitted, so {@link LabelCheck} counts every sample once per model version,
 * with its current label.
 */
public final class LabelJoin extends KeyedCoProcessFunction<String, DriftInput, DriftInput, LabelOutcome> {
  private static final long serialVersionUID = 1L;

  /** A retracted event (its answer no longer counts, whenever it arrives). */
  private static final long RETRACTED = -1;
  /** An event that gives no label (unsure, skip, or a retraction itself): only remembered as seen. */
  private static final long NO_LABEL = -2;

  private final Duration ttl;
  private transient MapState<String, LabelOutcome> predictions;
  /** Label events by id: {@code labeledAt << 1 | answer}, or {@link #RETRACTED} / {@link #NO_LABEL}. */
  private transient MapState<String, Long> events;
  /** The answer the emitted outcomes carry (1 anomaly, 0 normal), absent when there is none. */
  private transient ValueState<Integer> label;
  private transient Counter labelled;
  private transient Counter relabelled;

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
    MapStateDescriptor<String, Long> ed = new MapStateDescriptor<>("label-events", String.class, Long.class);
    ed.enableTimeToLive(t);
    events = getRuntimeContext().getMapState(ed);
    ValueStateDescriptor<Integer> ld = new ValueStateDescriptor<>("label", Integer.class);
    ld.enableTimeToLive(t);
    label = getRuntimeContext().getState(ld);
    labelled = getRuntimeContext().getMetricGroup().counter("labelledPredictions");
    relabelled = getRuntimeContext().getMetricGroup().counter("relabelledPredictions");
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
      emit(o, l, false, out);
    }
  }

  @Override
  public void processElement2(DriftInput l, Context ctx, Collector<LabelOutcome> out) throws Exception {
    String id = l.eventId != null ? l.eventId : "anonymous@" + l.time + "/" + l.label;
    if (events.contains(id)) {
      return; // a duplicate delivery, or an event retracted before it arrived
    }
    if (l.retracts != null) {
      events.put(id, NO_LABEL);
      events.put(l.retracts, RETRACTED);
    } else {
      events.put(id, l.label == 0 || l.label == 1 ? l.time << 1 | l.label : NO_LABEL);
    }
    Integer before = label.value();
    Integer now = current();
    if (now == null ? before == null : now.equals(before)) {
      return;
    }
    if (now == null) {
      label.clear();
    } else {
      label.update(now);
    }
    for (LabelOutcome o : predictions.values()) {
      if (before != null) {
        emit(o, before, true, out);
        relabelled.inc();
      }
      if (now != null) {
        emit(o, now, false, out);
      }
    }
  }

  /** The latest usable answer that is not retracted (ties: the larger event id), or null. */
  private Integer current() throws Exception {
    long best = Long.MIN_VALUE;
    String bestId = null;
    for (Map.Entry<String, Long> e : events.entries()) {
      long v = e.getValue();
      if (v < 0) {
        continue;
      }
      if (bestId == null || (v >> 1) > (best >> 1) || ((v >> 1) == (best >> 1) && e.getKey().compareTo(bestId) > 0)) {
        best = v;
        bestId = e.getKey();
      }
    }
    return bestId == null ? null : (int) (best & 1);
  }

  private void emit(LabelOutcome o, int l, boolean retract, Collector<LabelOutcome> out) {
    LabelOutcome e = new LabelOutcome();
    e.modelName = o.modelName;
    e.modelVersion = o.modelVersion;
    e.time = o.time;
    e.predicted = o.predicted;
    e.actual = l == 1;
    e.retract = retract;
    if (!retract) {
      labelled.inc();
    }
    out.collect(e);
  }
}
