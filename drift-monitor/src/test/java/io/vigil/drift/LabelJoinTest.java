package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Predictions meet their labels ({@link LabelJoin}) and the label-free estimate is checked against
 * them ({@link LabelCheck}): duplicates, relabels and retractions leave each sample counted once,
 * with its current label, as the retrain watcher folds the same events.
 */
class LabelJoinTest {

  private static final Duration TTL = Duration.ofHours(1);
  private static final long MIN = 60_000;

  private static KeyedTwoInputStreamOperatorTestHarness<String, DriftInput, DriftInput, LabelOutcome> join()
      throws Exception {
    var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new LabelJoin(TTL)),
        (DriftInput d) -> d.sampleId, (DriftInput d) -> d.sampleId, Types.STRING);
    h.open();
    return h;
  }

  private static DriftInput prediction(String sample, String version, boolean flagged) {
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.PREDICTION;
    d.sampleId = sample;
    d.entity = "host-1";
    d.time = 5 * MIN;
    d.modelName = "m";
    d.modelVersion = version;
    d.anomaly = flagged;
    return d;
  }

  private static DriftInput label(String sample, String eventId, int answer, long labeledAt, String retracts) {
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.LABEL;
    d.sampleId = sample;
    d.time = labeledAt;
    d.label = answer;
    d.eventId = eventId;
    d.retracts = retracts;
    return d;
  }

  /** The outputs as "version actual" lines, a retraction prefixed with "-". */
  private static List<String> outcomes(KeyedTwoInputStreamOperatorTestHarness<String, DriftInput, DriftInput,
      LabelOutcome> h) {
    List<String> out = new ArrayList<>();
    for (Object o : h.getOutput()) {
      if (o instanceof StreamRecord<?> r && r.getValue() instanceof LabelOutcome l) {
        out.add((l.retract ? "-" : "") + l.modelVersion + " " + (l.actual ? "anomaly" : "normal"));
      }
    }
    return out;
  }

  @Test
  void aLabelMeetsEveryVersionsPredictionOnceWhicheverComesFirst() throws Exception {
    try (var h = join()) {
      h.processElement1(new StreamRecord<>(prediction("s1", "1", true)));
      h.processElement2(new StreamRecord<>(label("s1", "e1", 1, 100, null)));
      h.processElement1(new StreamRecord<>(prediction("s1", "2", false))); // a shadow version, later
      h.processElement2(new StreamRecord<>(label("s1", "e1", 1, 100, null))); // delivered twice
      h.processElement2(new StreamRecord<>(label("s1", "e2", -1, 200, null))); // unsure: no label
      assertThat(outcomes(h)).containsExactly("1 anomaly", "2 anomaly");
    }
  }

  @Test
  void aRelabelTakesTheEarlierOutcomeBackAndARetractionLeavesNoLabel() throws Exception {
    try (var h = join()) {
      h.processElement1(new StreamRecord<>(prediction("s1", "1", true)));
      h.processElement2(new StreamRecord<>(label("s1", "e1", 1, 100, null)));
      h.processElement2(new StreamRecord<>(label("s1", "e2", 0, 200, null))); // a second opinion, later
      h.processElement2(new StreamRecord<>(label("s1", "e0", 1, 50, null))); // an older answer arriving late
      h.processElement2(new StreamRecord<>(label("s1", "r2", -1, 300, "e2"))); // e2 taken back: e1 again
      h.processElement2(new StreamRecord<>(label("s1", "r1", -1, 310, "e1")));
      h.processElement2(new StreamRecord<>(label("s1", "r0", -1, 320, "e0"))); // nothing left
      h.processElement1(new StreamRecord<>(prediction("s1", "2", true))); // meets no label
      assertThat(outcomes(h)).containsExactly("1 anomaly", "-1 anomaly", "1 normal", "-1 normal", "1 anomaly",
          "-1 anomaly");
    }
    try (var h = join()) {
      // a retraction that arrives before the event it retracts: that event never counts
      h.processElement2(new StreamRecord<>(label("s2", "r9", -1, 300, "e9")));
      h.processElement2(new StreamRecord<>(label("s2", "e9", 1, 100, null)));
      h.processElement1(new StreamRecord<>(prediction("s2", "1", true)));
      assertThat(outcomes(h)).isEmpty();
    }
  }

  @Test
  void theCheckCountsEachSampleOnceWithItsCurrentLabel() throws Exception {
    LabelCheck check = new LabelCheck(Duration.ofMinutes(10), TTL);
    try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(check),
        LabelOutcome::modelKey, Types.STRING)) {
      h.open();
      LabelOutcome estimate = new LabelOutcome();
      estimate.modelName = "m";
      estimate.modelVersion = "1";
      estimate.time = 0;
      estimate.estimate = true;
      estimate.estimatedF1 = 0.5;
      h.processElement(new StreamRecord<>(estimate));
      // two flagged samples, both labelled anomalous: realised F1 1.0
      h.processElement(new StreamRecord<>(outcome(true, true, false)));
      h.processElement(new StreamRecord<>(outcome(true, true, false)));
      assertThat(check.lastRealisedF1()).isEqualTo(1.0);
      // one of them relabelled normal: the earlier outcome is taken back, precision 1/2, recall 1
      h.processElement(new StreamRecord<>(outcome(true, true, true)));
      h.processElement(new StreamRecord<>(outcome(true, false, false)));
      assertThat(check.lastRealisedF1()).isCloseTo(2.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(check.lastF1Gap()).isCloseTo(0.5 - 2.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  private static LabelOutcome outcome(boolean predicted, boolean actual, boolean retract) {
    LabelOutcome o = new LabelOutcome();
    o.modelName = "m";
    o.modelVersion = "1";
    o.time = 3 * MIN;
    o.predicted = predicted;
    o.actual = actual;
    o.retract = retract;
    return o;
  }
}
