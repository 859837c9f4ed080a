package io.vigil.drift.requests;

import static io.vigil.drift.requests.TestRecords.MINUTE;
import static io.vigil.drift.requests.TestRecords.drift;
import static io.vigil.drift.requests.TestRecords.features;
import static io.vigil.drift.requests.TestRecords.label;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
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

  @Test
  void decidesAWindowOnlyOnceTheWatermarkPassesItWithFeaturesContextAndAttributions() throws Exception {
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 100, 100, 3, 0))) {
      for (int step = 1; step <= 5; step++) {
        h.processElement(telemetry("h1", step * MINUTE, step / 100.0), step * MINUTE);
      }
      // the window's inputs arrive out of order: prediction, then features, then its telemetry
      h.processElement(prediction("h1", 5 * MINUTE, 6 * MINUTE, 1.0, CPU), 6 * MINUTE);
      h.processElement(features("h1", 5 * MINUTE, 6 * MINUTE), 6 * MINUTE);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processElement(telemetry("h1", 6 * MINUTE, 0.06), 6 * MINUTE);
      h.watermark(6 * MINUTE - 1);
      assertThat(h.extractOutputValues()).isEmpty();
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
  void confidentWindowsAreNotAskedAndABurstOfAnomalousWindowsIsAskedOnce() throws Exception {
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 100, 100, 3, 0))) {
      window(h, "h1", 1, 5.0, CPU);      // confident anomaly: not asked
      window(h, "h1", 2, 1.2, CPU);      // uncertain anomaly: asked
      window(h, "h1", 3, 1.1, CPU);      // same burst: not asked again
      window(h, "h1", 4, 1.3, MEM);      // still the same burst
      window(h, "h1", 5, -3.0, CPU);     // confident normal window ends the burst
      window(h, "h1", 6, 1.1, CPU);      // a new burst: asked
      window(h, "h2", 6, 1.1, CPU);      // another entity has its own state
      h.watermark(10 * MINUTE);
      assertThat(requests(h)).extracting(r -> r.getEntity() + "@" + r.getWindowEnd().toEpochMilli() / MINUTE)
          .containsExactlyInAnyOrder("h1@2", "h1@6", "h2@6");
    }
  }

  @Test
  void anAnomalyLabelOpensAnIncidentAskedOnlyByFollowUpsAtGrowingIntervalsUntilANormalLabel() throws Exception {
    try (var h = harness(TestRecords.config(0.5, 0, 2, 0, 1000, 1000, 3, 0))) {
      window(h, "h1", 1, 1.0, CPU);
      h.watermark(1 * MINUTE);
      LabelRequest first = requests(h).get(0);
      h.processElement(label("h1", 90 * MINUTE, first.getSampleId(), LabelValue.ANOMALY, "inc-7",
          IncidentAction.OPENED, null), 90 * MINUTE);
      for (int step = 2; step <= 17; step++) {
        window(h, "h1", step, 1.0, CPU);   // every window uncertain
      }
      h.watermark(17 * MINUTE);
      List<LabelRequest> during = requests(h).subList(1, requests(h).size());
      assertThat(during).allSatisfy(r -> {
        assertThat(r.getReason()).isEqualTo(LabelReason.INCIDENT_FOLLOW_UP);
        assertThat(r.getIncidentId()).isEqualTo("inc-7");
        assertThat(r.getPriority()).isGreaterThan(1.0);
      });
      // first follow-up after 2 windows, then after 4 and 8 more: steps 3, 7, 15
      assertThat(during).extracting(r -> r.getWindowEnd().toEpochMilli() / MINUTE).containsExactly(3L, 7L, 15L);

      // undo and "unsure" change nothing; "normal" closes the incident
      h.processElement(label("h1", 91 * MINUTE, first.getSampleId(), LabelValue.NORMAL, null,
          IncidentAction.NONE, "e-undone"), 91 * MINUTE);
      h.processElement(label("h1", 91 * MINUTE, first.getSampleId(), LabelValue.UNSURE, null,
          IncidentAction.NONE, null), 91 * MINUTE);
      int before = requests(h).size();
      window(h, "h1", 31, 1.0, CPU);     // uncertain, but the incident is still open: not asked
      h.watermark(31 * MINUTE);
      assertThat(requests(h)).hasSize(before);
      h.processElement(label("h1", 92 * MINUTE, first.getSampleId(), LabelValue.NORMAL, "inc-7",
          IncidentAction.CLOSED, null), 92 * MINUTE);
      window(h, "h1", 32, -3.0, CPU);    // a normal window ends the burst
      window(h, "h1", 33, 1.0, MEM);
      h.watermark(33 * MINUTE);
      LabelRequest after = requests(h).get(requests(h).size() - 1);
      assertThat(after.getReason()).isEqualTo(LabelReason.UNCERTAIN);
      assertThat(after.getWindowEnd().toEpochMilli()).isEqualTo(33 * MINUTE);
      assertThat(after.getIncidentId()).isNull();
    }
  }

  @Test
  void windowsWhoseTopAttributionsAreOnDriftedMetricsWeighMore() throws Exception {
    double score = 1.5;  // uncertainty exp(-0.5) = 0.61, below 0.8 unweighted
    try (var h = harness(TestRecords.config(0.8, 0, 10, 0, 100, 100, 3, 0))) {
      window(h, "h1", 1, score, CPU);
      h.watermark(1 * MINUTE);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processBroadcastElement(drift("m", 1 * MINUTE, List.of("cpu_r.w10.mean", "cpu_r.ewma_z")), 1 * MINUTE);
      window(h, "h1", 2, score, MEM);    // mostly on mem_u, which did not drift: 1 + 0.1 of the weight
      window(h, "h1", 3, score, CPU);    // mostly on cpu_r: weight 1.9
      h.watermark(3 * MINUTE);
      List<LabelRequest> out = requests(h);
      assertThat(out).extracting(r -> r.getWindowEnd().toEpochMilli() / MINUTE).containsExactly(3L);
      assertThat(out.get(0).getPriority()).isCloseTo(Math.exp(-0.5) * 1.9, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @Test
  void aWindowLikeTheLastOneAskedAboutWeighsLess() throws Exception {
    // diversity strength 0.5: the same attributions as the last question halve the weight
    try (var h = harness(TestRecords.config(0.6, 0, 10, 0, 100, 100, 3, 0.5))) {
      window(h, "h1", 1, 1.0, CPU);      // asked (nothing asked before)
      window(h, "h1", 2, -3.0, CPU);     // normal: ends the burst
      window(h, "h1", 3, 1.0, CPU);      // like the last question: 1 x 0.5 < 0.6
      window(h, "h1", 4, 1.0, MEM);      // different: 1 x (1 - 0.5 x cos) = 0.93
      h.watermark(4 * MINUTE);
      assertThat(requests(h)).extracting(r -> r.getWindowEnd().toEpochMilli() / MINUTE).containsExactly(1L, 4L);
    }
  }

  @Test
  void aPredictionArrivingAfterTheWatermarkPassedItsWindowIsDecidedOnArrival() throws Exception {
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 100, 100, 3, 0))) {
      h.processElement(telemetry("h1", MINUTE, 0.1), MINUTE);
      h.processElement(features("h1", 0, MINUTE), MINUTE);
      h.watermark(5 * MINUTE);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processElement(prediction("h1", 0, MINUTE, 1.0, CPU), MINUTE);
      List<LabelRequest> out = requests(h);
      assertThat(out).hasSize(1);
      assertThat(out.get(0).getFeatures()).isNotNull();
      assertThat(out.get(0).getContext()).extracting(ContextPoint::getInWindow).containsExactly(true);
    }
  }

  @Test
  void theEntityBudgetLimitsRequestsPerHour() throws Exception {
    // 2 tokens an hour, at most 2 saved: 2 at once, then one every 30 minutes
    try (var h = harness(TestRecords.config(0.5, 0, 10, 0, 2, 2, 3, 0))) {
      for (int step = 1; step <= 120; step++) {
        window(h, "h1", step, step % 2 == 0 ? 1.0 : -3.0, CPU);  // every other window uncertain
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
  void stateTypesAreFlinkPojos() {
    for (Class<?> c : List.of(EntityQueryState.class, RequestState.class, WindowSlot.class,
        DriftedMetrics.class, Candidate.class, RequestInput.class)) {
      assertThat(TypeInformation.of(c)).as(c.getSimpleName()).isInstanceOf(PojoTypeInfo.class);
    }
  }
}
