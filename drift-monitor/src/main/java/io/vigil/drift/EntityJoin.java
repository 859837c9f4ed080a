package io.vigil.drift;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins feature vectors and predictions by sample id, keyed by entity (both inputs arrive as one
 * union). A vector waits for its predictions — several, when a champion and a challenger both score
 * it — and a prediction for its vector; each pair is emitted once as a {@code JOINED} input
 * carrying the vector's values and the prediction's fields. A sample is dropped once the watermark
 * passes its {@code time + joinTtl}, so unmatched records do not pile up; they are counted
 * ({@code unmatchedFeatures}, {@code unmatchedPredictions}).
 *
 * <p>Keyed by entity rather than by sample id: an entity's samples sit in one state value
 * ({@link EntityJoinState}) in event-time order, and the entity has one timer at a time, at its
 * oldest sample's expiry, which expires every sample due from the head. Keyed by sample id, every
 * sample was a key of its own with a timer of its own: in {@code vigil bench drift} the timer queue
 * (hundreds of thousands of timers in a catch-up) and the per-key state took about a third of the
 * join's thread, and writing the keys and timers a third of each checkpoint. Within an entity,
 * Vigil's writers keep both inputs in event-time order, so the expiry from the head is exact; an
 * out-of-order sample behind a newer one is dropped with it, a little later than its own expiry.
 * The state lives on the heap (the job sets the hashmap backend): on each record the join reads
 * the entity's value and changes it in place. A vector and a prediction of one sample id but of
 * different entities do not meet (both count as unmatched).
 */
public final class EntityJoin extends KeyedProcessFunction<String, DriftInput, DriftInput> {
  private static final long serialVersionUID = 1L;

  private final long ttlMillis;
  private transient ValueState<EntityJoinState> state;
  private transient Counter joined;
  private transient Counter unmatchedFeatures;
  private transient Counter unmatchedPredictions;
  private transient Counter duplicates;

  public EntityJoin(Duration joinTtl) {
    this.ttlMillis = joinTtl.toMillis();
  }

  @Override
  public void open(OpenContext ctx) {
    state = getRuntimeContext().getState(new ValueStateDescriptor<>("entity-join", new EntityJoinStateSerializer()));
    var g = getRuntimeContext().getMetricGroup();
    joined = g.counter("joinedSamples");
    unmatchedFeatures = g.counter("unmatchedFeatures");
    unmatchedPredictions = g.counter("unmatchedPredictions");
    duplicates = g.counter("duplicateFeatures");
  }

  @Override
  public void processElement(DriftInput in, Context ctx, Collector<DriftInput> out) throws Exception {
    EntityJoinState s = state.value();
    if (s == null) {
      s = new EntityJoinState();
    }
    JoinState e = s.samples.get(in.sampleId);
    if (in.kind == DriftInput.Kind.FEATURES) {
      if (e != null && e.hasVector) {
        duplicates.inc(); // the same sample id again (a replay): the first one stands
        return;
      }
      if (e == null) {
        e = new JoinState();
        s.samples.put(in.sampleId, e);
      }
      e.hasVector = true;
      e.time = in.time;
      e.entity = in.entity;
      e.featureSetVersion = in.featureSetVersion;
      e.names = in.names;
      e.values = in.values;
      if (e.pending != null) {
        for (JoinState.PendingPrediction p : e.pending) {
          out.collect(join(in.sampleId, e, p.time, p.modelName, p.modelVersion, p.score, p.probability, p.anomaly));
        }
        e.matched = e.pending.length > 0;
        e.pending = null;
      }
    } else if (in.kind == DriftInput.Kind.PREDICTION) {
      if (e != null && e.hasVector) {
        out.collect(join(in.sampleId, e, in.time, in.modelName, in.modelVersion, in.score, in.probability,
            in.anomaly));
        e.matched = true;
      } else {
        if (e == null) {
          e = new JoinState();
          e.time = in.time;
          s.samples.put(in.sampleId, e);
        }
        JoinState.PendingPrediction p = JoinState.PendingPrediction.of(in);
        e.pending = e.pending == null ? new JoinState.PendingPrediction[] {p} : append(e.pending, p);
      }
    } else {
      throw new IllegalArgumentException("entity join got a " + in.kind + " record");
    }
    if (s.timer == Long.MIN_VALUE) {
      s.timer = s.head().time + ttlMillis;
      ctx.timerService().registerEventTimeTimer(s.timer);
    }
    state.update(s); // the same object on the heap backend: a lookup, no copy
  }

  private static JoinState.PendingPrediction[] append(JoinState.PendingPrediction[] a, JoinState.PendingPrediction p) {
    JoinState.PendingPrediction[] b = Arrays.copyOf(a, a.length + 1);
    b[a.length] = p;
    return b;
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<DriftInput> out) throws Exception {
    EntityJoinState s = state.value();
    if (s == null) {
      return;
    }
    for (Iterator<JoinState> it = s.samples.values().iterator(); it.hasNext(); ) {
      JoinState e = it.next();
      if (e.time + ttlMillis > timestamp) {
        break;
      }
      if (e.hasVector && !e.matched) {
        unmatchedFeatures.inc();
      }
      if (e.pending != null) {
        unmatchedPredictions.inc(e.pending.length);
      }
      it.remove();
    }
    if (s.samples.isEmpty()) {
      state.clear();
      return;
    }
    s.timer = s.head().time + ttlMillis;
    ctx.timerService().registerEventTimeTimer(s.timer);
    state.update(s);
  }

  private DriftInput join(String sampleId, JoinState v, long time, String modelName, String modelVersion,
      double score, double probability, boolean anomaly) {
    joined.inc();
    DriftInput j = new DriftInput();
    j.kind = DriftInput.Kind.JOINED;
    j.sampleId = sampleId;
    j.entity = v.entity;
    j.time = time;
    j.featureSetVersion = v.featureSetVersion;
    j.names = v.names;
    j.values = v.values;
    j.modelName = modelName;
    j.modelVersion = modelVersion;
    j.score = score;
    j.probability = probability;
    j.anomaly = anomaly;
    return j;
  }
}
