package io.vigil.drift;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
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
 *
 * <p>A matched vector stays in the state until it expires, in case another model version (a shadow
 * challenger) scores it too. When only one version scores an entity, which is the usual case, no
 * other prediction is coming, and holding every vector's values until the watermark passes meant
 * holding hours of vectors in a catch-up: most of the state, of each checkpoint, and of the job's
 * garbage collection (old-generation marking of vectors that would otherwise die young). So the
 * join lets a sample go as soon as its vector meets its prediction, when the entity has been scored
 * by that one version alone for at least {@code joinTtl} of event time ({@link Versions}: what this
 * subtask has seen since it started; soft state, rebuilt after a restore, which is why it must have
 * watched for a {@code joinTtl} before it trusts it, and forgotten for entities silent for a {@code
 * joinTtl} of event time). The entity keeps its one timer, and only samples still waiting for a
 * partner are held. What
 * that gives up: a prediction that comes for a released sample (a new version's first predictions)
 * waits alone and expires unmatched, and a vector replayed after its sample was released is not
 * recognised as a duplicate ({@code releasedSamples} counts the releases).
 */
public final class EntityJoin extends KeyedProcessFunction<String, DriftInput, DriftInput> {
  private static final long serialVersionUID = 1L;

  private final long ttlMillis;
  private transient ValueState<EntityJoinState> state;
  private transient Counter joined;
  private transient Counter unmatchedFeatures;
  private transient Counter unmatchedPredictions;
  private transient Counter duplicates;
  private transient Counter released;
  /** Per entity, the model versions that scored it lately (not checkpointed). */
  private transient Map<String, Versions> versions;
  /** Timer calls left until the next sweep of {@link #versions} for silent entities. */
  private transient int sweepIn;

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
    released = g.counter("releasedSamples");
    versions = new HashMap<>();
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
        Versions seen = versions.get(in.entity);
        boolean complete = false;
        for (JoinState.PendingPrediction p : e.pending) {
          out.collect(join(in.sampleId, e, p.time, p.modelName, p.modelVersion, p.score, p.probability, p.anomaly));
          complete |= seen != null && seen.onlyVersion(p.modelName, p.modelVersion, ttlMillis);
        }
        e.matched = e.pending.length > 0;
        e.pending = null;
        if (complete) {
          release(s, in.sampleId);
        }
      }
    } else if (in.kind == DriftInput.Kind.PREDICTION) {
      Versions seen = versions.computeIfAbsent(in.entity, k -> new Versions());
      seen.see(in.modelName, in.modelVersion, in.time, ttlMillis);
      if (e != null && e.hasVector) {
        out.collect(join(in.sampleId, e, in.time, in.modelName, in.modelVersion, in.score, in.probability,
            in.anomaly));
        e.matched = true;
        if (seen.onlyVersion(in.modelName, in.modelVersion, ttlMillis)) {
          release(s, in.sampleId);
        }
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
    if (s.timer == Long.MIN_VALUE && !s.samples.isEmpty()) {
      s.timer = s.head().time + ttlMillis;
      ctx.timerService().registerEventTimeTimer(s.timer);
    }
    // the same object on the heap backend: a lookup, no copy; kept when empty while its timer is
    // registered, so that released samples do not register a timer each
    state.update(s);
  }

  /** Removes a sample whose vector has met every prediction that is coming. */
  private void release(EntityJoinState s, String sampleId) {
    s.samples.remove(sampleId);
    released.inc();
  }

  /**
   * The model versions that scored one entity lately, as this subtask has seen them since it
   * started: each version with the newest event time of its predictions; a version silent for more
   * than {@code joinTtl} (behind the entity's newest prediction) is forgotten.
   */
  static final class Versions {
    private long firstSeen = Long.MAX_VALUE;
    private long newest = Long.MIN_VALUE;
    private int size;
    private String[] names = new String[2];
    private String[] numbers = new String[2];
    private long[] lastSeen = new long[2];

    void see(String name, String version, long time, long ttl) {
      firstSeen = Math.min(firstSeen, time);
      newest = Math.max(newest, time);
      int i = indexOf(name, version);
      if (i < 0) {
        if (size == names.length) {
          names = Arrays.copyOf(names, 2 * size);
          numbers = Arrays.copyOf(numbers, 2 * size);
          lastSeen = Arrays.copyOf(lastSeen, 2 * size);
        }
        names[size] = name;
        numbers[size] = version;
        lastSeen[size++] = time;
      } else if (time > lastSeen[i]) {
        lastSeen[i] = time;
      }
      if (size > 1) {
        forgetSilent(ttl);
      }
    }

    private void forgetSilent(long ttl) {
      int kept = 0;
      for (int j = 0; j < size; j++) {
        if (lastSeen[j] >= newest - ttl) {
          names[kept] = names[j];
          numbers[kept] = numbers[j];
          lastSeen[kept++] = lastSeen[j];
        }
      }
      for (int j = kept; j < size; j++) {
        names[j] = null;
        numbers[j] = null;
      }
      size = kept;
    }

    /** True if this version alone has scored the entity lately, watched for at least {@code ttl}. */
    boolean onlyVersion(String name, String version, long ttl) {
      return newest - firstSeen >= ttl && size == 1 && indexOf(name, version) == 0;
    }

    private int indexOf(String name, String version) {
      for (int i = 0; i < size; i++) {
        if (Objects.equals(names[i], name) && Objects.equals(numbers[i], version)) {
          return i;
        }
      }
      return -1;
    }
  }

  private static JoinState.PendingPrediction[] append(JoinState.PendingPrediction[] a, JoinState.PendingPrediction p) {
    JoinState.PendingPrediction[] b = Arrays.copyOf(a, a.length + 1);
    b[a.length] = p;
    return b;
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<DriftInput> out) throws Exception {
    if (--sweepIn <= 0) {
      // entities come and go (containers): forget those silent for a joinTtl, now and then, so that
      // the sweep costs O(1) per timer
      long horizon = ctx.timerService().currentWatermark() - ttlMillis;
      versions.values().removeIf(v -> v.newest < horizon);
      sweepIn = Math.max(1024, versions.size());
    }
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
