package io.vigil.pipeline.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.schemas.IncidentAction;
import io.vigil.schemas.Incidents;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelValue;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * While an incident is open on an entity, its predictions leave flagged and naming it; labels are
 * read as the label-request stage reads them ({@link Incidents}); the open incident survives a
 * restore.
 */
class IncidentFlagsTest {

  private static final AvroSerde<LabelEvent> LABELS = AvroSerde.of(LabelEvent.class);
  private static final LabelSignalDecoder DECODER = new LabelSignalDecoder();
  private static int events;

  private static KeyedTwoInputStreamOperatorTestHarness<String, ScoredPrediction, LabelSignal, ScoredPrediction> harness()
      throws Exception {
    return new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new IncidentFlags()),
        new ScoringJob.PredictionEntity(), new ScoringJob.LabelEntity(), Types.STRING);
  }

  private static ScoredPrediction prediction(String entity, int minute, double score) {
    Instant end = Instant.ofEpochSecond(60L * minute);
    return ScoredPrediction.of(Prediction.newBuilder().setSampleId(entity + "-" + minute).setEntity(entity)
        .setWindowStart(end.minusSeconds(600)).setWindowEnd(end).setModelName("m").setModelVersion("1")
        .setScore(score).setUncertainty(0.1).setThreshold(1.0).setAnomaly(score >= 1.0)
        .setAttributions(Map.of()).setPredictedAt(end).build(), null, null);
  }

  /** A label as the labels topic carries it, through the job's own decoder. */
  private static LabelSignal label(String entity, LabelValue value, IncidentAction action, String incidentId,
      String retracts) {
    return label(entity, value, action, incidentId, retracts, null);
  }

  private static LabelSignal label(String entity, LabelValue value, IncidentAction action, String incidentId,
      String retracts, String requestId) {
    LabelEvent l = LabelEvent.newBuilder().setRequestId(requestId).setEventId("e-" + ++events).setSampleId(entity + "-x").setEntity(entity)
        .setAnnotator("ada").setLabel(value).setLabeledAt(Instant.EPOCH).setIdempotencyKey("k-" + events)
        .setIncidentId(incidentId).setIncidentAction(action).setRetracts(retracts).build();
    return DECODER.decode("labels", 0, events, null, LABELS.encode(l));
  }

  private static List<String> out(KeyedTwoInputStreamOperatorTestHarness<String, ScoredPrediction, LabelSignal,
      ScoredPrediction> h) {
    List<String> lines = new ArrayList<>();
    for (Object o : h.getOutput()) {
      @SuppressWarnings("unchecked")
      Prediction p = ((StreamRecord<ScoredPrediction>) o).getValue().prediction;
      lines.add(p.getSampleId() + " " + p.getAnomaly() + " " + p.getIncidentId());
    }
    h.getOutput().clear();
    return lines;
  }

  @Test
  void anOpenIncidentFlagsItsEntitysWindowsUntilItIsClosed() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement1(new StreamRecord<>(prediction("a", 1, 0.2)));
      h.processElement2(new StreamRecord<>(label("a", LabelValue.ANOMALY, IncidentAction.OPENED, "inc-7", null)));
      h.processElement1(new StreamRecord<>(prediction("a", 2, 0.2)));
      h.processElement1(new StreamRecord<>(prediction("a", 3, 1.5)));
      h.processElement1(new StreamRecord<>(prediction("b", 3, 0.2)));
      // a follow-up's "yes" keeps the incident (and its id); UNSURE and an undo change nothing
      h.processElement2(new StreamRecord<>(label("a", LabelValue.ANOMALY, IncidentAction.CONTINUED, "inc-7", null)));
      h.processElement2(new StreamRecord<>(label("a", LabelValue.UNSURE, IncidentAction.NONE, null, null)));
      h.processElement2(new StreamRecord<>(label("a", LabelValue.NORMAL, IncidentAction.NONE, null, "e-1")));
      // the UI's "normal" to an older queued request is about that window, not the end of the incident
      h.processElement2(new StreamRecord<>(label("a", LabelValue.NORMAL, IncidentAction.NONE, null, null, "r-3")));
      h.processElement1(new StreamRecord<>(prediction("a", 4, 0.3)));
      h.processElement2(new StreamRecord<>(label("a", LabelValue.NORMAL, IncidentAction.CLOSED, "inc-7", null)));
      h.processElement1(new StreamRecord<>(prediction("a", 5, 0.2)));
      h.processElement1(new StreamRecord<>(prediction("a", 6, 1.2)));
      assertThat(out(h)).containsExactly(
          "a-1 false null",
          "a-2 true inc-7",
          "a-3 true inc-7",
          "b-3 false null",
          "a-4 true inc-7",
          "a-5 false null",
          "a-6 true null");
      // from outside the UI's queue (no request), "normal" ends it
      h.processElement2(new StreamRecord<>(label("a", LabelValue.ANOMALY, IncidentAction.NONE, "inc-8", null)));
      h.processElement1(new StreamRecord<>(prediction("a", 7, 0.2)));
      h.processElement2(new StreamRecord<>(label("a", LabelValue.NORMAL, IncidentAction.NONE, null, null)));
      h.processElement1(new StreamRecord<>(prediction("a", 8, 0.2)));
      assertThat(out(h)).containsExactly("a-7 true inc-8", "a-8 false null");
    }
  }

  @Test
  void aLabelWithoutAnIncidentIdOpensOneWithTheIdTheRequestStageGivesIt() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement2(new StreamRecord<>(label("c", LabelValue.ANOMALY, IncidentAction.NONE, null, null)));
      h.processElement1(new StreamRecord<>(prediction("c", 1, 0.2)));
      assertThat(out(h)).containsExactly("c-1 true " + Incidents.idFor("c", "c-x"));
    }
  }

  @Test
  void shadowPredictionsAreLeftAsTheyAre() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement2(new StreamRecord<>(label("d", LabelValue.ANOMALY, IncidentAction.OPENED, "inc-d", null)));
      ScoredPrediction shadow = prediction("d", 1, 0.2);
      shadow.prediction.setShadow(true);
      h.processElement1(new StreamRecord<>(shadow));
      assertThat(out(h)).containsExactly("d-1 false null");
    }
  }

  @Test
  void theOpenIncidentSurvivesARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness()) {
      h.open();
      h.processElement2(new StreamRecord<>(label("e", LabelValue.ANOMALY, IncidentAction.OPENED, "inc-e", null)));
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness()) {
      h.initializeState(snapshot);
      h.open();
      h.processElement1(new StreamRecord<>(prediction("e", 9, 0.1)));
      assertThat(out(h)).containsExactly("e-9 true inc-e");
    }
  }

  @Test
  void unreadableLabelsBecomeDeadLettersWithTheirBytes() {
    byte[] junk = "not a label".getBytes(StandardCharsets.UTF_8);
    LabelSignal s = DECODER.decode("vigil.labels", 1, 42, "k".getBytes(StandardCharsets.UTF_8), junk);
    assertThat(s.refused).isNotNull();
    assertThat(s.refused.getErrorCode()).isEqualTo("BAD_HEADER");
    assertThat(s.refused.getStage()).isEqualTo(LabelSignalDecoder.STAGE);
    assertThat(s.refused.getSourceTopic()).isEqualTo("vigil.labels");
    assertThat(s.refused.getOffset()).isEqualTo(42);
    assertThat(s.refused.getValue().array()).isEqualTo(junk);
    LabelSignal noEntity = label("", LabelValue.ANOMALY, IncidentAction.OPENED, "i", null);
    assertThat(noEntity.refused.getErrorCode()).isEqualTo("MISSING_ENTITY");
    assertThat(noEntity.refused.getReason()).contains("empty entity");
  }
}
