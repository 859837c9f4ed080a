package io.vigil.drift.requests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class GlobalBudgetOperatorTest {

  private static final long MIN = 60_000L;
  private static final long HOUR = 60 * MIN;

  private static KeyedOneInputStreamOperatorTestHarness<Integer, Candidate, Candidate> harness(
      int perHour, Duration releaseEvery) throws Exception {
    return harness(perHour, releaseEvery, Duration.ofMinutes(30));
  }

  private static KeyedOneInputStreamOperatorTestHarness<Integer, Candidate, Candidate> harness(
      int perHour, Duration releaseEvery, Duration maxHold) throws Exception {
    var h = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new GlobalBudgetOperator(
            new LabelRequestConfig.GlobalBudget(perHour, releaseEvery, maxHold))),
        (Candidate c) -> 0, Types.INT);
    h.open();
    return h;
  }

  private static Candidate candidate(String id, long t, double priority, int kindRank) {
    Candidate c = new Candidate();
    c.requestId = id;
    c.sampleId = "s-" + id;
    c.entity = "h" + (id.hashCode() % 3);
    c.createdAt = t;
    c.priority = priority;
    c.kindRank = kindRank;
    c.payload = new byte[] {1};
    return c;
  }

  private static List<String> ids(KeyedOneInputStreamOperatorTestHarness<Integer, Candidate, Candidate> h) {
    return h.extractOutputValues().stream().map(c -> c.requestId).toList();
  }

  @Test
  void releasesAtMostTheHourlyBudgetHighestPriorityFirstWhenTheHourEnds() throws Exception {
    try (var h = harness(3, Duration.ofHours(1))) {
      h.processElement(candidate("audit", 1 * MIN, 0.01, 2), 1 * MIN);
      h.processElement(candidate("u-low", 5 * MIN, 0.55, 1), 5 * MIN);
      h.processElement(candidate("follow", 50 * MIN, 10, 0), 50 * MIN);
      h.processElement(candidate("u-high", 30 * MIN, 0.95, 1), 30 * MIN);
      h.processElement(candidate("u-mid", 20 * MIN, 0.7, 1), 20 * MIN);
      h.processElement(candidate("next-hour", HOUR + MIN, 0.6, 1), HOUR + MIN);
      h.processWatermark(HOUR - 2);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processWatermark(HOUR - 1);
      assertThat(ids(h)).containsExactly("follow", "u-high", "u-mid");
      h.processWatermark(2 * HOUR);
      assertThat(ids(h)).containsExactly("follow", "u-high", "u-mid", "next-hour");
    }
  }

  @Test
  void pacedReleasesLeaveBudgetForTheRestOfTheHourAndCarryWaitingCandidates() throws Exception {
    // 4 an hour, released every 15 minutes: at most 1, 2, 3, 4 by the end of each quarter
    try (var h = harness(4, Duration.ofMinutes(15))) {
      for (int i = 0; i < 6; i++) {
        h.processElement(candidate("early-" + i, MIN + i, 0.5 + i / 100.0, 1), MIN + i);
      }
      h.processWatermark(15 * MIN - 1);
      assertThat(ids(h)).containsExactly("early-5");
      h.processWatermark(30 * MIN - 1);
      assertThat(ids(h)).containsExactly("early-5", "early-4");
      h.processElement(candidate("late-follow", 40 * MIN, 10, 0), 40 * MIN);
      h.processWatermark(45 * MIN - 1);
      assertThat(ids(h)).containsExactly("early-5", "early-4", "late-follow");
      h.processWatermark(HOUR);
      assertThat(ids(h)).containsExactly("early-5", "early-4", "late-follow", "early-3");
      h.processWatermark(3 * HOUR);
      assertThat(ids(h)).hasSize(4);  // the rest of the hour is dropped
    }
  }

  @Test
  void aCandidateBehindTheWatermarkJoinsTheNextRelease() throws Exception {
    try (var h = harness(10, Duration.ofMinutes(10))) {
      h.processWatermark(25 * MIN);
      h.processElement(candidate("late", 3 * MIN, 0.9, 1), 3 * MIN);
      h.processWatermark(30 * MIN - 2);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processWatermark(30 * MIN - 1);
      assertThat(ids(h)).containsExactly("late");
    }
  }

  @Test
  void bufferedCandidatesAndTheHourCountSurviveARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness(2, Duration.ofMinutes(30))) {
      h.processElement(candidate("a", MIN, 0.6, 1), MIN);
      h.processElement(candidate("b", 2 * MIN, 0.7, 1), 2 * MIN);
      h.processWatermark(30 * MIN - 1);
      assertThat(ids(h)).containsExactly("b");
      h.processElement(candidate("c", 40 * MIN, 0.5, 1), 40 * MIN);
      snapshot = h.snapshot(1, 1);
    }
    var restored = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new GlobalBudgetOperator(
            new LabelRequestConfig.GlobalBudget(2, Duration.ofMinutes(30), Duration.ofMinutes(30)))),
        (Candidate c) -> 0, Types.INT);
    restored.initializeState(snapshot);
    restored.open();
    restored.processWatermark(HOUR);
    assertThat(ids(restored)).containsExactly("a");  // one left of the hour's 2; "c" ranks below "a"
    restored.close();
  }

  @Test
  void whenEventTimeStandsStillCandidatesGoOutAfterMaxHoldWithinTheBudget() throws Exception {
    // 2 an hour, released every 30 minutes; the inputs fall silent at 20 min of event time
    try (var h = harness(2, Duration.ofMinutes(30), Duration.ofMinutes(5))) {
      h.setProcessingTime(0);
      h.processElement(candidate("a", 10 * MIN, 0.6, 1), 10 * MIN);
      h.processElement(candidate("b", 12 * MIN, 0.9, 1), 12 * MIN);
      h.processWatermark(20 * MIN);
      h.setProcessingTime(5 * MIN - 1);
      assertThat(h.extractOutputValues()).isEmpty();
      h.setProcessingTime(5 * MIN);  // as if the first half hour had ended: at most ceil(2 / 2) = 1
      assertThat(ids(h)).containsExactly("b");
      h.setProcessingTime(10 * MIN - 1);
      assertThat(ids(h)).containsExactly("b");
      h.setProcessingTime(10 * MIN);  // "a" was carried into the second half hour and held again
      assertThat(ids(h)).containsExactly("b", "a");
      // released through the end of hour 0: a candidate now goes to a later interval, under a new hour
      h.processElement(candidate("c", 15 * MIN, 0.99, 1), 15 * MIN);
      h.processWatermark(HOUR - 1);
      assertThat(ids(h)).containsExactly("b", "a");
      h.processWatermark(HOUR + 30 * MIN - 1);
      assertThat(ids(h)).containsExactly("b", "a", "c");
    }
  }

  @Test
  void maxHoldMustBePositive() {
    assertThatThrownBy(() -> new LabelRequestConfig.GlobalBudget(2, Duration.ofMinutes(30), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("globalBudget.maxHold");
  }
}
