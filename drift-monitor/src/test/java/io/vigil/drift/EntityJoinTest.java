package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The join keyed by entity: a vector meets each of its predictions once, in whichever order they
 * come; samples expire from the head of their entity when the watermark passes {@code time +
 * joinTtl}, unmatched ones counted; waiting samples and the entity's timer survive a restore.
 */
class EntityJoinTest {

  private static final long MIN = 60_000L;
  private static final Duration TTL = Duration.ofMinutes(10);

  private static KeyedOneInputStreamOperatorTestHarness<String, DriftInput, DriftInput> harness() throws Exception {
    return harness(null);
  }

  /** The join keyed as the job keys it, restored from {@code snapshot} when one is given, and open. */
  private static KeyedOneInputStreamOperatorTestHarness<String, DriftInput, DriftInput> harness(
      OperatorSubtaskState snapshot) throws Exception {
    var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new EntityJoin(TTL)),
        (DriftInput d) -> d.entity, StringKeySerializer.TYPE);
    if (snapshot != null) {
      h.initializeState(snapshot);
    }
    h.open();
    return h;
  }

  private static DriftInput vector(String entity, long minute) {
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.FEATURES;
    d.sampleId = entity + "@" + minute;
    d.entity = entity;
    d.time = minute * MIN;
    d.featureSetVersion = "fs-1";
    d.values = new float[] {minute, -minute};
    return d;
  }

  private static DriftInput prediction(String entity, long minute, String version) {
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.PREDICTION;
    d.sampleId = entity + "@" + minute;
    d.entity = entity;
    d.time = minute * MIN;
    d.modelName = "m";
    d.modelVersion = version;
    d.score = minute / 10.0;
    d.probability = 0.25;
    d.anomaly = minute % 2 == 0;
    return d;
  }

  private static void in(KeyedOneInputStreamOperatorTestHarness<String, DriftInput, DriftInput> h, DriftInput d)
      throws Exception {
    h.processElement(new StreamRecord<>(d, d.time));
  }

  /** Minutes {@code from..to} of {@code entity}: each vector, then its prediction by {@code version}. */
  private static void scored(KeyedOneInputStreamOperatorTestHarness<String, DriftInput, DriftInput> h, String entity,
      long from, long to, String version) throws Exception {
    for (long m = from; m <= to; m++) {
      in(h, vector(entity, m));
      in(h, prediction(entity, m, version));
    }
  }

  /** "sampleId/version" of the joined samples emitted so far. */
  private static List<String> joined(KeyedOneInputStreamOperatorTestHarness<String, DriftInput, DriftInput> h) {
    List<String> out = new ArrayList<>();
    for (DriftInput d : h.extractOutputValues()) {
      assertThat(d.kind).isEqualTo(DriftInput.Kind.JOINED);
      out.add(d.sampleId + "/" + d.modelVersion);
    }
    return out;
  }

  @Test
  void aVectorMeetsEachOfItsPredictionsOnceInEitherOrder() throws Exception {
    try (var h = harness()) {
      in(h, vector("a", 1));
      in(h, prediction("a", 1, "1"));
      in(h, prediction("b", 1, "1")); // waits for its vector
      in(h, prediction("b", 1, "2")); // a shadow challenger's: waits too
      in(h, vector("b", 1));
      in(h, prediction("a", 1, "2")); // the vector is still there for a late shadow prediction
      in(h, vector("a", 1)); // a replayed vector: the first one stands
      assertThat(joined(h)).containsExactly("a@1/1", "b@1/1", "b@1/2", "a@1/2");
      DriftInput j = h.extractOutputValues().get(1);
      assertThat(j.entity).isEqualTo("b");
      assertThat(j.values).containsExactly(1, -1);
      assertThat(j.score).isEqualTo(0.1);
      assertThat(j.probability).isEqualTo(0.25);
      assertThat(j.featureSetVersion).isEqualTo("fs-1");
    }
  }

  @Test
  void samplesExpireFromTheHeadWhenTheWatermarkPassesTheirTtl() throws Exception {
    try (var h = harness()) {
      for (long m = 0; m < 5; m++) {
        in(h, vector("a", m));
      }
      in(h, prediction("a", 1, "1"));
      in(h, prediction("a", 30, "1")); // its vector never comes
      h.processWatermark(new Watermark(2 * MIN + TTL.toMillis())); // minutes 0..2 expire
      assertThat(h.numEventTimeTimers()).isEqualTo(1); // one timer per entity
      in(h, prediction("a", 2, "1")); // too late: its vector is gone, it waits alone
      in(h, prediction("a", 3, "1"));
      assertThat(joined(h)).containsExactly("a@1/1", "a@3/1");
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      assertThat(h.numEventTimeTimers()).isZero();
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void waitingSamplesAndTheTimerSurviveARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      in(h, vector("a", 1));
      in(h, prediction("b", 2, "1"));
      in(h, prediction("a", 1, "1"));
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness(snapshot)) {
      in(h, prediction("a", 1, "2"));
      in(h, vector("b", 2));
      assertThat(joined(h)).containsExactly("a@1/2", "b@2/1");
      assertThat(h.numEventTimeTimers()).isEqualTo(2);
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  /** The values the join still holds for a sample of {@code entity}, or null once it left the state. */
  private static float[] held(KeyedOneInputStreamOperatorTestHarness<String, DriftInput, DriftInput> h, String entity,
      String sampleId) throws Exception {
    KeyedProcessOperator<String, DriftInput, DriftInput> op =
        (KeyedProcessOperator<String, DriftInput, DriftInput>) h.getOperator();
    op.setCurrentKey(entity);
    EntityJoinState s = op.getKeyedStateBackend().getPartitionedState(VoidNamespace.INSTANCE,
        VoidNamespaceSerializer.INSTANCE, new ValueStateDescriptor<>("entity-join", new EntityJoinStateSerializer()))
        .value();
    JoinState e = s == null ? null : s.samples.get(sampleId);
    return e == null ? null : e.values;
  }

  @Test
  void aMatchedSampleIsReleasedOnceOneVersionAloneHasScoredItsEntityForATtl() throws Exception {
    try (var h = harness()) {
      // the first TTL of predictions: watched, not yet trusted, so matched vectors are kept
      scored(h, "a", 0, 10, "1");
      assertThat(held(h, "a", "a@0")).isNotNull();
      in(h, vector("a", 11));
      assertThat(held(h, "a", "a@11")).as("not matched yet").isNotNull();
      in(h, prediction("a", 11, "1"));
      assertThat(held(h, "a", "a@11")).as("matched, one version for a TTL").isNull();
      // prediction first, then its vector: released at once
      in(h, prediction("a", 12, "1"));
      in(h, vector("a", 12));
      assertThat(held(h, "a", "a@12")).isNull();
      // a new version's prediction for a released sample waits alone (and expires unmatched)
      in(h, prediction("a", 12, "2"));
      assertThat(joined(h)).hasSize(13).doesNotContain("a@12/2");
      // two versions score the entity now: vectors are kept for the second one
      in(h, vector("a", 13));
      in(h, prediction("a", 13, "1"));
      assertThat(held(h, "a", "a@13")).isNotNull();
      in(h, prediction("a", 13, "2"));
      assertThat(joined(h)).endsWith("a@13/1", "a@13/2");
      // version 2 goes silent for more than a TTL: forgotten, vectors released again
      scored(h, "a", 14, 24, "1");
      assertThat(held(h, "a", "a@23")).isNotNull();
      assertThat(held(h, "a", "a@24")).isNull();
      assertThat(h.numEventTimeTimers()).as("still one timer for the entity").isEqualTo(1);
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      assertThat(h.numKeyedStateEntries()).isZero();
      assertThat(h.numEventTimeTimers()).isZero();
    }
  }

  @Test
  void aRestoredJoinWatchesForATtlBeforeItReleasesVectors() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      scored(h, "a", 0, 11, "1");
      assertThat(held(h, "a", "a@11")).isNull();
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness(snapshot)) {
      assertThat(held(h, "a", "a@11")).as("released before the snapshot").isNull();
      in(h, vector("a", 12));
      in(h, prediction("a", 12, "1"));
      // a challenger may score the entity without having been seen since the restore
      assertThat(held(h, "a", "a@12")).isNotNull();
      in(h, prediction("a", 12, "2"));
      assertThat(joined(h)).containsExactly("a@12/1", "a@12/2");
    }
  }

  @Test
  void anEntitySilentForATtlIsWatchedAgainWhenItComesBack() throws Exception {
    try (var h = harness()) {
      scored(h, "a", 0, 11, "1");
      assertThat(held(h, "a", "a@11")).isNull();
      in(h, vector("a", 12)); // waits: its prediction never comes
      h.processWatermark(new Watermark(100 * MIN)); // it expires; the entity has been silent since
      in(h, vector("a", 200));
      in(h, prediction("a", 200, "1"));
      assertThat(held(h, "a", "a@200")).as("forgotten, so watched again").isNotNull();
    }
  }
}
