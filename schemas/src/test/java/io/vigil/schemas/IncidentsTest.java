package io.vigil.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IncidentsTest {

  /** A label that answers no request (from outside the labeling UI's queue). */
  private static LabelEvent label(LabelValue value, IncidentAction action, String incidentId, String retracts) {
    return LabelEvent.newBuilder(ExampleRecords.labelEvent()).setLabel(value).setIncidentAction(action)
        .setIncidentId(incidentId).setRetracts(retracts).setRequestId(null).build();
  }

  @Test
  void anAnomalyOpensAnUnrequestedNormalOrACloseEndsTheRestChangeNothing() {
    assertThat(Incidents.effectOf(label(LabelValue.ANOMALY, IncidentAction.OPENED, "i-1", null)))
        .isEqualTo(Incidents.Effect.OPEN);
    assertThat(Incidents.effectOf(label(LabelValue.ANOMALY, IncidentAction.NONE, null, null)))
        .isEqualTo(Incidents.Effect.OPEN);
    assertThat(Incidents.effectOf(label(LabelValue.ANOMALY, IncidentAction.CONTINUED, "i-1", null)))
        .isEqualTo(Incidents.Effect.OPEN);
    assertThat(Incidents.effectOf(label(LabelValue.NORMAL, IncidentAction.NONE, null, null)))
        .isEqualTo(Incidents.Effect.CLOSE);
    assertThat(Incidents.effectOf(label(LabelValue.UNSURE, IncidentAction.CLOSED, "i-1", null)))
        .as("an explicit close, whatever the answer").isEqualTo(Incidents.Effect.CLOSE);
    assertThat(Incidents.effectOf(label(LabelValue.UNSURE, IncidentAction.NONE, null, null)))
        .isEqualTo(Incidents.Effect.NONE);
    assertThat(Incidents.effectOf(label(LabelValue.SKIP, IncidentAction.NONE, null, null)))
        .isEqualTo(Incidents.Effect.NONE);
    // the UI's answer to a queued request: "normal" is about that window; the UI closes with CLOSED
    assertThat(Incidents.effectOf(LabelEvent.newBuilder(label(LabelValue.NORMAL, IncidentAction.NONE, null, null))
        .setRequestId("r-9").build())).isEqualTo(Incidents.Effect.NONE);
    assertThat(Incidents.effectOf(LabelEvent.newBuilder(label(LabelValue.NORMAL, IncidentAction.CLOSED, "i-1", null))
        .setRequestId("r-9").build())).isEqualTo(Incidents.Effect.CLOSE);
    assertThat(Incidents.effectOf(LabelEvent.newBuilder(label(LabelValue.ANOMALY, IncidentAction.NONE, null, null))
        .setRequestId("r-9").build())).isEqualTo(Incidents.Effect.OPEN);
    // an undo without an action changes nothing; with one (the UI's), the action decides
    assertThat(Incidents.effectOf(label(LabelValue.NORMAL, IncidentAction.NONE, null, "e-0")))
        .as("an undo neither closes").isEqualTo(Incidents.Effect.NONE);
    assertThat(Incidents.effectOf(label(LabelValue.ANOMALY, IncidentAction.NONE, null, "e-0")))
        .as("nor opens").isEqualTo(Incidents.Effect.NONE);
    assertThat(Incidents.effectOf(label(LabelValue.ANOMALY, IncidentAction.CLOSED, "i-1", "e-0")))
        .as("the undo of the answer that opened it").isEqualTo(Incidents.Effect.CLOSE);
    assertThat(Incidents.effectOf(label(LabelValue.NORMAL, IncidentAction.OPENED, "i-1", "e-0")))
        .as("the undo of the answer that closed it").isEqualTo(Incidents.Effect.OPEN);
  }

  @Test
  void anIncidentIsNamedByItsLabelOrDeterministically() {
    assertThat(Incidents.idOf(label(LabelValue.ANOMALY, IncidentAction.OPENED, "i-1", null))).isEqualTo("i-1");
    LabelEvent bare = label(LabelValue.ANOMALY, IncidentAction.NONE, null, null);
    String id = Incidents.idOf(bare);
    assertThat(id).matches("inc-[0-9a-f]{16}").isEqualTo(Incidents.idFor(bare.getEntity(), bare.getSampleId()));
    assertThat(Incidents.idFor("machine-1-2", "s-2")).isNotEqualTo(id);
    assertThat(Incidents.idFor("machine-1-3", bare.getSampleId())).isNotEqualTo(id);
  }

  @Test
  void theModelsOwnFlagIgnoresTheIncidentOverride() {
    Prediction p = ExampleRecords.prediction(); // score 0.91, threshold 0.8, anomaly
    assertThat(Incidents.modelFlag(p)).isTrue();
    Prediction low = Prediction.newBuilder(p).setScore(0.5).setAnomaly(false).build();
    assertThat(Incidents.modelFlag(low)).isFalse();
    Prediction flaggedByIncident = Prediction.newBuilder(low).setAnomaly(true).setIncidentId("i-1").build();
    assertThat(Incidents.modelFlag(flaggedByIncident)).isFalse();
    Prediction highInIncident = Prediction.newBuilder(p).setIncidentId("i-1").build();
    assertThat(Incidents.modelFlag(highInIncident)).isTrue();
  }
}
