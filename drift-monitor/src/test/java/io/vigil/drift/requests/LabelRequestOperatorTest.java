package io.vigil.drift.requests;

import static io.vigil.drift.requests.TestRecords.MINUTE;
import static io.vigil.drift.requests.TestRecords.drift;
import static io.vigil.drift.requests.TestRecords.features;
import static io.vigil.drift.requests.TestRecords.high;
import static io.vigil.drift.requests.TestRecords.label;
import static io.vigil.drift.requests.TestRecords.ordinary;
import static io.vigil.drift.requests.TestRecords.prediction;
import static io.vigil.drift.requests.TestRecords.request;
import static io.vigil.drift.requests.TestRecords.sampleId;
import static io.vigil.drift.requests.TestRecords.telemetry;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.schemas.ContextPoint;
import io.vigil.schemas.IncidentAction;
import io.vigil.schemas.LabelReason;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.LabelValue;
import io.vigil.selection.EntityQueryState;
import io.vigil.selection.QueryKind;
import io.vigil.selection.ScoreLevel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

class LabelRequestOperatorTest {

  private static final Map<String, Double> CPU = Map.of("cpu_r", 0.9, "mem_u", 0.1);
  private static final Map<String, Double> MEM = Map.of("cpu_r", 0.1, "mem_u", 0.9);

  private static KeyedBroadcastOperatorTestHarness<String, RequestInput, RequestInput, Candidate> harness(
      LabelRequestConfig cfg) throws Exception {
    var h = new KeyedBroadcastOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(new LabelRequestOperator(cfg), List.of(LabelRequestOperator.DRIFT_STATE)),
        (RequestInput r) -> r.entity, Types.STRING, 1, 1, 0);
    h.open();
    return h;
  }

  /** Telemetry, features and prediction of one minute-step window (window = the last 2 steps). */
  private static void window(KeyedBroadcastOperatorTestHarness<String, RequestInput, RequestInput, Candidate> h,
      String entity, int step, double score, Map<String, Double> attributions) throws Exception {
    long t = step * MINUTE;
    h.processElement(prediction(entity, t - MINUTE, t, score, attributions), t);
    h.processElement(telemetry(entity, t, step / 100.0), t);
    h.processElement(features(entity, t - MINUTE, t), t);
  }

  private static List<LabelRequest> requests(
      KeyedBroadcastOperatorTestHarness<String, RequestInput, RequestInput, Candidate> h) {
    return h.extractOutputValues().stream().map(TestRecords::request).toList();
  }

  /** Ordinary windows {@code from..to} of an entity: they warm its level up and are never asked. */
  private static void ordinaryWindows(KeyedBroadcastOperatorTestHarness<String, RequestInput, RequestInput, Candidate> h,
      String entity, int from, int to) throws Exception {
    for (int step = from; step <= to; step++) {
      window(h, entity, step, ordinary(step), step % 2 == 0 ? CPU : MEM);
    }
  }

  @Test
  void decidesAWindowOnlyOnceTheWatermarkPassesItWithFeaturesContextAndAttributions() throws Exception {
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 100, 100, 3, 0))) {
      ordinaryWindows(h, "h1", 1, 5);
      // the window's inputs arrive out of order: prediction, then features, then its telemetry
      h.processElement(prediction("h1", 5 * MINUTE, 6 * MINUTE, high(6), CPU), 6 * MINUTE);
      h.processElement(features("h1", 5 * MINUTE, 6 * MINUTE), 6 * MINUTE);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processElement(telemetry("h1", 6 * MINUTE, 0.06), 6 * MINUTE);
      h.watermark(6 * MINUTE - 1);
      assertThat(h.extractOutputValues()).as("ordinary windows are not asked").isEmpty();
      h.watermark(6 * MINUTE);

      List<LabelRequest> out = requests(h);
      assertThat(out).hasSize(1);
      LabelRequest r = out.get(0);
      String sample = sampleId("h1", 6 * MINUTE);
      assertThat(r.getSampleId()).isEqualTo(sample);
      assertThat(r.getRequestId()).isEqualTo(LabelRequestOperator.requestId(sample, QueryKind.UNCERTAIN));
      assertThat(r.getReason()).isEqualTo(LabelReason.UNCERTAIN);
      assertThat(r.getPriority()).isEqualTo(1.0);
      assertThat(r.getCreatedAt().toEpochMilli()).isEqualTo(6 * MINUTE);
      assertThat(r.getFeatures()).isNotNull();
      assertThat(r.getFeatures().getSampleId()).isEqualTo(sample);
      assertThat(r.getPrediction().getAttributions()).isEqualTo(CPU);
      // 3 points of history before the window [5, 6] and the window's own 2 points
      assertThat(r.getContext()).extracting(p -> p.getTime().toEpochMilli() / MINUTE)
          .containsExactly(2L, 3L, 4L, 5L, 6L);
      assertThat(r.getContext()).extracting(ContextPoint::getInWindow)
          .containsExactly(false, false, false, true, true);
      assertThat(r.getContext().get(4).getMetrics()).containsEntry("cpu_r", 0.06);
      assertThat(r.getIncidentId()).isNull();
    }
  }

  @Test
  void aWindowFarAboveTheEntitysRecentScoresIsAskedOnceWarmedUpAndABurstOnlyOnce() throws Exception {
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 100, 100, 3, 0))) {
      for (int step = 1; step <= 4; step++) {
        window(h, "h0", step, high(step), CPU);  // warm-up (4 of 5 windows): no level, nothing asked
      }
      ordinaryWindows(h, "h1", 1, 5);
      window(h, "h1", 6, high(6), CPU);      // far above the entity's level: asked
      window(h, "h1", 7, high(7), CPU);      // same burst (the model still calls it anomalous): not again
      window(h, "h1", 8, high(8), MEM);      // still the same burst
      window(h, "h1", 9, ordinary(9), CPU);  // a normal window ends the burst (and is below the level)
      window(h, "h1", 10, high(10), CPU);    // a new burst: asked
      ordinaryWindows(h, "h2", 1, 9);
      window(h, "h2", 10, high(10), CPU);    // another entity has its own level and state
      h.watermark(10 * MINUTE);
      assertThat(requests(h)).extracting(r -> r.getEntity() + "@" + r.getWindowEnd().toEpochMilli() / MINUTE)
          .containsExactlyInAnyOrder("h1@6", "h1@10", "h2@10");
    }
  }

  @Test
  void windowsAroundTheModelsThresholdAreNotAskedWhenTheyAreTheEntitysUsualScores() throws Exception {
    // the old rule (exp(-|score - threshold|) >= 0.5) asked about every one of these; the level does not,
    // except the few at the top of what the entity has been scoring (ADR 0007)
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 1000, 1000, 3, 0))) {
      for (int step = 1; step <= 200; step++) {
        window(h, "h1", step, 1.0 + 0.05 * Math.sin(step * 0.7) - step / 100_000.0, step % 2 == 0 ? CPU : MEM);
      }
      h.watermark(200 * MINUTE);
      List<LabelRequest> out = requests(h);
      assertThat(out).hasSizeBetween(1, 30);
      assertThat(out).allMatch(r -> r.getReason() == LabelReason.UNCERTAIN);
    }
  }

  @Test
  void aProbabilityMeasureIsUsedForPredictionsWithAProbabilityAndTheLevelForTheRest() throws Exception {
    var cfg = TestRecords.config(LabelRequestConfig.Measure.LEAST_CONFIDENCE, 0.5, 0, 10, 1.0, 0, 100, 100, 3, 0);
    try (var h = harness(cfg)) {
      h.processElement(prediction("h1", 0, MINUTE, ordinary(1), 0.5, CPU), MINUTE);       // a coin toss: asked
      h.processElement(prediction("h1", MINUTE, 2 * MINUTE, high(2), 0.99, MEM), 2 * MINUTE); // sure: not asked
      h.processElement(prediction("h2", 0, MINUTE, high(1), CPU), MINUTE);   // no probability: the level (warm-up)
      h.watermark(2 * MINUTE);
      assertThat(requests(h)).extracting(r -> r.getEntity() + "@" + r.getWindowEnd().toEpochMilli() / MINUTE)
          .containsExactly("h1@1");
    }
    // the level measure ignores a probability
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 100, 100, 3, 0))) {
      for (int step = 1; step <= 8; step++) {
        h.processElement(prediction("h1", (step - 1) * MINUTE, step * MINUTE, ordinary(step), 0.5, CPU), step * MINUTE);
      }
      h.watermark(8 * MINUTE);
      assertThat(h.extractOutputValues()).isEmpty();
    }
  }

  @Test
  void anAnomalyLabelOpensAnIncidentAskedOnlyByFollowUpsEveryFirstFollowUpWindowsUntilANormalLabel()
      throws Exception {
    try (var h = harness(TestRecords.config(0.5, 0, 2, 0, 1000, 1000, 3, 0))) {
      ordinaryWindows(h, "h1", 1, 5);
      window(h, "h1", 6, high(6), CPU);
      h.watermark(6 * MINUTE);
      LabelRequest first = requests(h).get(0);
      assertThat(first.getWindowEnd().toEpochMilli()).isEqualTo(6 * MINUTE);
      h.processElement(label("h1", 90 * MINUTE, first.getSampleId(), LabelValue.ANOMALY, "inc-7",
          IncidentAction.OPENED, null), 90 * MINUTE);
      for (int step = 7; step <= 22; step++) {
        window(h, "h1", step, high(step), CPU);   // every window above the level
      }
      h.watermark(22 * MINUTE);
      List<LabelRequest> during = requests(h).subList(1, requests(h).size());
      assertThat(during).allSatisfy(r -> {
        assertThat(r.getReason()).isEqualTo(LabelReason.INCIDENT_FOLLOW_UP);
        assertThat(r.getIncidentId()).isEqualTo("inc-7");
        assertThat(r.getPriority()).isGreaterThan(1.0);
      });
      // follow-ups every 2 windows from the incident's opening (growth 1, as eval)
      assertThat(during).extracting(r -> r.getWindowEnd().toEpochMilli() / MINUTE)
          .containsExactly(8L, 10L, 12L, 14L, 16L, 18L, 20L, 22L);

      // undo and "unsure" change nothing; "normal" closes the incident
      h.processElement(label("h1", 91 * MINUTE, first.getSampleId(), LabelValue.NORMAL, null,
          IncidentAction.NONE, "e-undone"), 91 * MINUTE);
      h.processElement(label("h1", 91 * MINUTE, first.getSampleId(), LabelValue.UNSURE, null,
          IncidentAction.NONE, null), 91 * MINUTE);
      int before = requests(h).size();
      window(h, "h1", 31, high(31), CPU);     // above the level, but the incident is still open: not asked
      h.watermark(31 * MINUTE);
      assertThat(requests(h)).hasSize(before);
      h.processElement(label("h1", 92 * MINUTE, first.getSampleId(), LabelValue.NORMAL, "inc-7",
          IncidentAction.CLOSED, null), 92 * MINUTE);
      window(h, "h1", 32, ordinary(32), CPU); // a normal window ends the burst
      window(h, "h1", 33, high(33), MEM);
      h.watermark(33 * MINUTE);
      LabelRequest after = requests(h).get(requests(h).size() - 1);
      assertThat(after.getReason()).isEqualTo(LabelReason.UNCERTAIN);
      assertThat(after.getWindowEnd().toEpochMilli()).isEqualTo(33 * MINUTE);
      assertThat(after.getIncidentId()).isNull();
    }
  }

  @Test
  void aFollowUpGrowthOfTwoDoublesTheGapsBetweenFollowUps() throws Exception {
    var cfg = TestRecords.config(LabelRequestConfig.Measure.LEVEL, 0.5, 0, 2, 2.0, 0, 1000, 1000, 3, 0);
    try (var h = harness(cfg)) {
      ordinaryWindows(h, "h1", 1, 5);
      window(h, "h1", 6, high(6), CPU);
      h.watermark(6 * MINUTE);
      h.processElement(label("h1", 90 * MINUTE, requests(h).get(0).getSampleId(), LabelValue.ANOMALY, "inc-8",
          IncidentAction.OPENED, null), 90 * MINUTE);
      for (int step = 7; step <= 22; step++) {
        window(h, "h1", step, high(step), CPU);
      }
      h.watermark(22 * MINUTE);
      // after 2 windows, then 4 and 8 more: steps 8, 12, 20
      assertThat(requests(h).subList(1, requests(h).size())).extracting(r -> r.getWindowEnd().toEpochMilli() / MINUTE)
          .containsExactly(8L, 12L, 20L);
    }
  }

  @Test
  void windowsWhoseTopAttributionsAreOnDriftedMetricsWeighMore() throws Exception {
    // above the level the uncertainty is 1: only a drift weight of at least 1.5 is asked
    try (var h = harness(TestRecords.config(1.5, 0, 10, 0, 100, 100, 3, 0))) {
      ordinaryWindows(h, "h1", 1, 5);
      window(h, "h1", 6, high(6), CPU);    // no drift known: weight 1
      h.watermark(6 * MINUTE);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processBroadcastElement(drift("m", 6 * MINUTE, List.of("cpu_r.w10.mean", "cpu_r.ewma_z")), 6 * MINUTE);
      window(h, "h1", 7, high(7), MEM);    // mostly on mem_u, which did not drift: 1 + 0.1 of the weight
      window(h, "h1", 8, high(8), CPU);    // mostly on cpu_r: weight 1.9
      h.watermark(8 * MINUTE);
      List<LabelRequest> out = requests(h);
      assertThat(out).extracting(r -> r.getWindowEnd().toEpochMilli() / MINUTE).containsExactly(8L);
      assertThat(out.get(0).getPriority()).isCloseTo(1.9, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @Test
  void aWindowLikeTheLastOneAskedAboutWeighsLess() throws Exception {
    // diversity strength 0.5: the same attributions as the last question halve the weight
    try (var h = harness(TestRecords.config(0.6, 0, 10, 0, 100, 100, 3, 0.5))) {
      ordinaryWindows(h, "h1", 1, 5);
      window(h, "h1", 6, high(6), CPU);      // asked (nothing asked before)
      window(h, "h1", 7, ordinary(7), CPU);  // normal: ends the burst
      window(h, "h1", 8, high(8), CPU);      // like the last question: 1 x 0.5 < 0.6
      window(h, "h1", 9, high(9), MEM);      // different: 1 x (1 - 0.5 x cos) = 0.93
      h.watermark(9 * MINUTE);
      assertThat(requests(h)).extracting(r -> r.getWindowEnd().toEpochMilli() / MINUTE).containsExactly(6L, 9L);
    }
  }

  @Test
  void aPredictionArrivingAfterTheWatermarkPassedItsWindowIsDecidedOnArrival() throws Exception {
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 100, 100, 3, 0))) {
      ordinaryWindows(h, "h1", 1, 5);
      h.processElement(telemetry("h1", 6 * MINUTE, 0.1), 6 * MINUTE);
      h.processElement(features("h1", 5 * MINUTE, 6 * MINUTE), 6 * MINUTE);
      h.watermark(9 * MINUTE);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processElement(prediction("h1", 5 * MINUTE, 6 * MINUTE, high(6), CPU), 6 * MINUTE);
      List<LabelRequest> out = requests(h);
      assertThat(out).hasSize(1);
      assertThat(out.get(0).getFeatures()).isNotNull();
      ContextPoint last = out.get(0).getContext().get(out.get(0).getContext().size() - 1);
      assertThat(last.getInWindow()).isTrue();
      assertThat(last.getTime().toEpochMilli()).isEqualTo(6 * MINUTE);
    }
  }

  @Test
  void theEntityBudgetLimitsRequestsPerHour() throws Exception {
    // 2 tokens an hour, at most 2 saved: 2 at once, then one every 30 minutes
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 2, 2, 3, 0))) {
      for (int step = 1; step <= 120; step++) {
        window(h, "h1", step, step % 2 == 0 ? high(step) : ordinary(step), CPU);  // every other window above the level
      }
      h.watermark(120 * MINUTE);
      assertThat(requests(h)).hasSizeBetween(4, 6);
    }
  }

  @Test
  void stateRestoredFromASnapshotDecidesExactlyAsAnUninterruptedRun() throws Exception {
    LabelRequestConfig cfg = TestRecords.config(0.5, 3, 2, 0.2, 30, 5, 3, 0.3);
    List<String> straight;
    try (var h = harness(cfg)) {
      feedFirstHalf(h);
      feedSecondHalf(h);
      straight = h.extractOutputValues().stream().map(c -> c.requestId).toList();
    }
    OperatorSubtaskState snapshot;
    List<String> resumed = new ArrayList<>();
    try (var h = harness(cfg)) {
      feedFirstHalf(h);
      h.extractOutputValues().forEach(c -> resumed.add(c.requestId));
      snapshot = h.snapshot(1L, 1L);  // windows 21..25 pending, incident open, drift known
    }
    var restored = new KeyedBroadcastOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(new LabelRequestOperator(cfg), List.of(LabelRequestOperator.DRIFT_STATE)),
        (RequestInput r) -> r.entity, Types.STRING, 1, 1, 0);
    restored.initializeState(snapshot);
    restored.open();
    feedSecondHalf(restored);
    restored.extractOutputValues().forEach(c -> resumed.add(c.requestId));
    restored.close();
    assertThat(straight).hasSizeGreaterThan(5);
    assertThat(resumed).containsExactlyElementsOf(straight);
  }

  private static void feedFirstHalf(
      KeyedBroadcastOperatorTestHarness<String, RequestInput, RequestInput, Candidate> h) throws Exception {
    h.processBroadcastElement(drift("m", 0, List.of("mem_u.last")), 0);
    for (int step = 1; step <= 25; step++) {
      for (String e : List.of("h1", "h2")) {
        window(h, e, step, 1.0 + Math.sin(step + e.hashCode()) * 0.6, step % 3 == 0 ? MEM : CPU);
      }
      if (step == 10) {
        h.processElement(label("h1", step * MINUTE, sampleId("h1", 4 * MINUTE), LabelValue.ANOMALY, null,
            IncidentAction.OPENED, null), step * MINUTE);
      }
    }
    h.watermark(20 * MINUTE);
  }

  private static void feedSecondHalf(
      KeyedBroadcastOperatorTestHarness<String, RequestInput, RequestInput, Candidate> h) throws Exception {
    for (int step = 26; step <= 60; step++) {
      for (String e : List.of("h1", "h2")) {
        window(h, e, step, 1.0 + Math.sin(step + e.hashCode()) * 0.6, step % 3 == 0 ? MEM : CPU);
      }
      if (step == 40) {
        h.processElement(label("h1", step * MINUTE, sampleId("h1", 30 * MINUTE), LabelValue.NORMAL, null,
            IncidentAction.CLOSED, null), step * MINUTE);
      }
    }
    h.watermark(60 * MINUTE);
  }

  @Test
  void contextHoldsTheHistoryWhenWindowsAreDecidedAsTheWatermarkAdvances() throws Exception {
    try (var h = harness(TestRecords.config(0.0, 0, 10, 0, 1000, 1000, 3, 0))) {
      for (int step = 1; step <= 12; step++) {
        long t = step * MINUTE;
        h.processElement(telemetry("h1", t, step / 100.0), t);
        h.processElement(features("h1", t - MINUTE, t), t);
        h.processElement(prediction("h1", t - MINUTE, t, 1.0, step % 2 == 0 ? CPU : MEM), t);
        h.watermark(t - 2 * MINUTE);
      }
      List<LabelRequest> out = requests(h);
      assertThat(out).hasSizeGreaterThan(5);
      LabelRequest last = out.get(out.size() - 1);
      assertThat(last.getContext()).hasSize(5);
    }
  }

  @Test
  void theLevelSurvivesASnapshot() throws Exception {
    // 20 ordinary windows, a snapshot, then an outlier: asked only if the restored level is past its
    // warm-up (a level lost in the snapshot would start a new warm-up, and nothing would be asked)
    LabelRequestConfig cfg = TestRecords.config(0.5, 0, 10, 0, 100, 100, 3, 0);
    OperatorSubtaskState snapshot;
    try (var h = harness(cfg)) {
      ordinaryWindows(h, "h1", 1, 20);
      h.watermark(20 * MINUTE);
      assertThat(h.extractOutputValues()).isEmpty();
      snapshot = h.snapshot(1L, 1L);
    }
    var restored = new KeyedBroadcastOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(new LabelRequestOperator(cfg), List.of(LabelRequestOperator.DRIFT_STATE)),
        (RequestInput r) -> r.entity, Types.STRING, 1, 1, 0);
    restored.initializeState(snapshot);
    restored.open();
    window(restored, "h1", 21, high(21), CPU);
    restored.watermark(21 * MINUTE);
    assertThat(restored.extractOutputValues()).hasSize(1);
    restored.close();
  }

  @Test
  void theScoreLevelSerializerRoundTripsAndRestoresItsSnapshot() throws Exception {
    ScoreLevel level = new ScoreLevel(0.9, 16, 1, 3);
    for (int i = 0; i < 40; i++) {
      level.add(i % 7);
    }
    ScoreLevelSerializer s = new ScoreLevelSerializer();
    DataOutputSerializer out = new DataOutputSerializer(256);
    s.serialize(level, out);
    ScoreLevel back = s.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    assertThat(back.level()).isEqualTo(level.level());
    assertThat(back.count()).isEqualTo(40);
    ScoreLevel copy = s.copy(level);
    copy.add(100);
    assertThat(level.count()).as("a copy is deep").isEqualTo(40);
    assertThat(copy.level()).isNotEqualTo(level.level());

    DataOutputSerializer snap = new DataOutputSerializer(64);
    TypeSerializerSnapshot.writeVersionedSnapshot(snap, s.snapshotConfiguration());
    TypeSerializerSnapshot<ScoreLevel> restored = TypeSerializerSnapshot.readVersionedSnapshot(
        new DataInputDeserializer(snap.getCopyOfBuffer()), getClass().getClassLoader());
    assertThat(restored.restoreSerializer()).isEqualTo(s);
    assertThat(s.snapshotConfiguration().resolveSchemaCompatibility(restored).isCompatibleAsIs()).isTrue();
    DataOutputSerializer copied = new DataOutputSerializer(64);
    s.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
    assertThat(s.deserialize(new DataInputDeserializer(copied.getCopyOfBuffer())).level()).isEqualTo(level.level());
  }

  @Test
  void stateTypesAreFlinkPojos() {
    for (Class<?> c : List.of(EntityQueryState.class, RequestState.class, WindowSlot.class,
        DriftedMetrics.class, Candidate.class, RequestInput.class)) {
      assertThat(TypeInformation.of(c)).as(c.getSimpleName()).isInstanceOf(PojoTypeInfo.class);
    }
  }
}
