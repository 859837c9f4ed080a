package io.vigil.drift;

import java.time.Duration;
import java.util.Arrays;
import org.apache.flink.api.common.functions.OpenContext;
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
 * counted ({@code unmatchedFeatures}, {@code unmatchedPredictions}). The state of a key is one
 * {@link JoinState} (one lookup per record), written by the compact {@link JoinStateSerializer}.
 */
public final class SampleJoin extends KeyedProcessFunction<String, DriftInput, DriftInput> {
  private static final long serialVersionUID = 1L;

  private final long ttlMillis;
  private transient ValueState<JoinState> state;
  private transient Counter joined;
  private transient Counter unmatchedFeatures;
  private transient Counter unmatchedPredictions;
  private transient Counter duplicates;

  public SampleJoin(Duration joinTtl) {
    this.ttlMillis = joinTtl.toMillis();
  }

  @Override
  public void open(OpenContext ctx) {
    state = getRuntimeContext().getState(new ValueStateDescriptor<>("join", new JoinStateSerializer()));
    var g = getRuntimeContext().getMetricGroup();
    joined = g.counter("joinedSamples");
    unmatchedFeatures = g.counter("unmatchedFeatures");
    unmatchedPredictions = g.counter("unmatchedPredictions");
    duplicates = g.counter("duplicateFeatures");
  }

  @Override
  public void processElement(DriftInput in, Context ctx, Collector<DriftInput> out) throws Exception {
    JoinState s = state.value();
    if (in.kind == DriftInput.Kind.FEATURES) {
      if (s != null && s.hasVector) {
        duplicates.inc(); // the same sample id again (a replay): the first one stands
        return;
      }
      if (s == null) {
        s = new JoinState();
      }
      s.hasVector = true;
      s.time = in.time;
      s.entity = in.entity;
      s.featureSetVersion = in.featureSetVersion;
      s.names = in.names;
      s.values = in.values;
      if (s.pending != null) {
        for (JoinState.PendingPrediction p : s.pending) {
          out.collect(join(in.sampleId, s, p.time, p.modelName, p.modelVersion, p.score, p.probability, p.anomaly));
        }
        s.matched = s.pending.length > 0;
        s.pending = null;
      }
      state.update(s);
      ctx.timerService().registerEventTimeTimer(in.time + ttlMillis);
    } else if (in.kind == DriftInput.Kind.PREDICTION) {
      if (s != null && s.hasVector) {
        out.collect(join(in.sampleId, s, in.time, in.modelName, in.modelVersion, in.score, in.probability,
            in.anomaly));
        if (!s.matched) {
          s.matched = true;
          state.update(s);
        }
      } else {
        if (s == null) {
          s = new JoinState();
        }
        JoinState.PendingPrediction p = JoinState.PendingPrediction.of(in);
        s.pending = s.pending == null ? new JoinState.PendingPrediction[] {p} : append(s.pending, p);
        state.update(s);
        ctx.timerService().registerEventTimeTimer(in.time + ttlMillis);
      }
    } else {
      throw new IllegalArgumentException("sample join got a " + in.kind + " record");
    }
  }

  private static JoinState.PendingPrediction[] append(JoinState.PendingPrediction[] a, JoinState.PendingPrediction p) {
    JoinState.PendingPrediction[] b = Arrays.copyOf(a, a.length + 1);
    b[a.length] = p;
    return b;
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<DriftInput> out) throws Exception {
    JoinState s = state.value();
    if (s == null) {
      return;
    }
    if (s.hasVector && s.time + ttlMillis > timestamp) {
      return; // a later timer of this key will clear it
    }
    if (s.hasVector && !s.matched) {
      unmatchedFeatures.inc();
    }
    if (s.pending != null) {
      unmatchedPredictions.inc(s.pending.length);
    }
    state.clear();
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
