package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.features.FeatureSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The pre-aggregation before the window stage: a part per model version and window, sent ahead of
 * the watermark that closes the window; a sample behind this subtask's watermark alone; parts survive
 * a restore; samples without a usable reference go to the side output.
 */
class PartialWindowOperatorTest {

  private static final long MIN = 60_000L;
  private static final Duration WINDOW = Duration.ofMinutes(10);
  private static final FeatureSet SET = FeatureSet.smdDefault();
  private static final ReferenceProfile PROFILE = profile();
  private static final ReferenceSource SOURCE = (name, version) -> {
    if (version.equals("missing")) {
      throw new ReferenceSource.ReferenceUnavailableException("no version " + version, null);
    }
    return PROFILE;
  };

  private static ReferenceProfile profile() {
    Random rnd = new Random(4);
    List<ReferenceProfile.Hist> hs = new ArrayList<>();
    for (String n : SET.featureNames()) {
      hs.add(ReferenceProfile.Hist.of(n, rnd.doubles(300).map(x -> x * 2 - 1).toArray(), 10));
    }
    return new ReferenceProfile(1, SET.version(), "snap", 300, hs,
        ReferenceProfile.Hist.of("score", rnd.doubles(300).toArray(), 10));
  }

  private static ReferenceModel model() {
    return ReferenceModel.of("m", "1", PROFILE, SET.featureNames(), new FeatureMetrics(SET.metrics()));
  }

  private static OneInputStreamOperatorTestHarness<DriftInput, PartialWindow> harness() throws Exception {
    return new OneInputStreamOperatorTestHarness<>(new PartialWindowOperator(SOURCE, SET, WINDOW, 1_000));
  }

  private static final Random RND = new Random(9);

  private static DriftInput sample(String version, long time) {
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.JOINED;
    d.sampleId = "s-" + time + "-" + version;
    d.entity = "h1";
    d.time = time;
    d.featureSetVersion = SET.version();
    d.values = FeatureValues.narrow(RND.doubles(SET.featureNames().size()).map(x -> x * 3 - 1.5).toArray());
    d.modelName = "m";
    d.modelVersion = version;
    d.score = RND.nextDouble();
    d.probability = RND.nextDouble();
    d.anomaly = d.probability > 0.7;
    return d;
  }

  private static void add(WindowAccumulator w, DriftInput d) {
    model().addTo(w, d.values, d.score, d.probability, d.anomaly);
  }

  /** The parts emitted so far, in order, with their timestamps; watermarks as "wm@T". */
  private static List<String> events(ConcurrentLinkedQueue<Object> out) {
    List<String> e = new ArrayList<>();
    for (Object o : out) {
      if (o instanceof Watermark w) {
        e.add("wm@" + w.getTimestamp());
      } else {
        @SuppressWarnings("unchecked")
        StreamRecord<PartialWindow> r = (StreamRecord<PartialWindow>) o;
        e.add(r.getValue().modelVersion + "@" + r.getValue().windowStart + "/" + r.getValue().acc.samples + "@"
            + r.getTimestamp());
      }
    }
    return e;
  }

  @Test
  void partsGoOutBeforeTheWatermarkThatClosesTheirWindowAndLateSamplesAlone() throws Exception {
    try (var h = harness()) {
      h.open();
      WindowAccumulator v1 = new WindowAccumulator();
      for (int i = 0; i < 5; i++) {
        DriftInput d = sample("1", i * MIN + 1);
        add(v1, d);
        h.processElement(d, d.time);
      }
      h.processElement(sample("2", 3 * MIN), 3 * MIN);
      h.processElement(sample("1", 12 * MIN), 12 * MIN);
      h.processWatermark(10 * MIN - 2);
      assertThat(events(h.getOutput())).containsExactly("wm@" + (10 * MIN - 2));
      h.processWatermark(10 * MIN - 1);
      assertThat(events(h.getOutput())).containsExactly("wm@" + (10 * MIN - 2),
          "1@0/5@" + (10 * MIN - 1), "2@0/1@" + (10 * MIN - 1), "wm@" + (10 * MIN - 1));
      // the merged part is exactly the samples added up
      PartialWindow first = h.extractOutputValues().get(0);
      assertThat(first.acc.counts).containsExactly(v1.counts);
      assertThat(first.acc.below).containsExactly(v1.below);
      assertThat(first.acc.flagged).isEqualTo(v1.flagged);
      // behind the watermark: alone, at once, stamped with its own time
      h.processElement(sample("1", 4 * MIN), 4 * MIN);
      assertThat(events(h.getOutput())).last().isEqualTo("1@0/1@" + 4 * MIN);
      h.processWatermark(Long.MAX_VALUE);
      assertThat(events(h.getOutput())).contains("1@" + 10 * MIN + "/1@" + (20 * MIN - 1));
    }
  }

  @Test
  void openPartsSurviveARestore() throws Exception {
    OperatorSubtaskState snapshot;
    WindowAccumulator expected = new WindowAccumulator();
    try (var h = harness()) {
      h.open();
      for (int i = 0; i < 3; i++) {
        DriftInput d = sample("1", i * MIN);
        add(expected, d);
        h.processElement(d, d.time);
      }
      snapshot = h.snapshot(1, 1);
    }
    try (var restored = harness()) {
      restored.initializeState(snapshot);
      restored.open();
      DriftInput d = sample("1", 5 * MIN);
      add(expected, d);
      restored.processElement(d, d.time);
      assertTheFirstWindowIs(restored, expected);
    }
  }

  /** Closes the first window: one part with the 4 samples of {@code expected}. */
  private static void assertTheFirstWindowIs(OneInputStreamOperatorTestHarness<DriftInput, PartialWindow> h,
      WindowAccumulator expected) throws Exception {
    h.processWatermark(10 * MIN - 1);
    List<PartialWindow> parts = h.extractOutputValues();
    assertThat(parts).hasSize(1);
    assertThat(parts.get(0).acc.samples).isEqualTo(4);
    assertThat(parts.get(0).acc.counts).containsExactly(expected.counts);
  }

  /** Writes open parts the way builds before 2026-11-28 did: the objects, state {@code partial-windows}. */
  static final class ObjectStateWriter extends org.apache.flink.streaming.api.operators.AbstractStreamOperator<PartialWindow>
      implements org.apache.flink.streaming.api.operators.OneInputStreamOperator<DriftInput, PartialWindow> {
    private static final long serialVersionUID = 1L;
    private final List<PartialWindow> parts;

    ObjectStateWriter(List<PartialWindow> parts) {
      this.parts = parts;
    }

    @Override
    public void snapshotState(org.apache.flink.runtime.state.StateSnapshotContext ctx) throws Exception {
      super.snapshotState(ctx);
      getOperatorStateBackend().getListState(new org.apache.flink.api.common.state.ListStateDescriptor<>(
          "partial-windows", PartialWindowSerializer.TYPE)).update(parts);
    }

    @Override
    public void processElement(StreamRecord<DriftInput> element) {}
  }

  @Test
  void openPartsCheckpointedAsObjectsByAnEarlierBuildAreRestored() throws Exception {
    WindowAccumulator expected = new WindowAccumulator();
    PartialWindow old = new PartialWindow("m", "1", 0);
    for (int i = 0; i < 3; i++) {
      DriftInput d = sample("1", i * MIN);
      add(expected, d);
      add(old.acc, d);
    }
    OperatorSubtaskState snapshot;
    try (var h = new OneInputStreamOperatorTestHarness<DriftInput, PartialWindow>(
        new ObjectStateWriter(List.of(old)))) {
      h.open();
      snapshot = h.snapshot(1, 1);
    }
    OperatorSubtaskState again;
    try (var restored = harness()) {
      restored.initializeState(snapshot);
      restored.open();
      DriftInput d = sample("1", 5 * MIN);
      add(expected, d);
      restored.processElement(d, d.time);
      again = restored.snapshot(2, 2); // now in the bytes format only: restoring it counts each sample once
    }
    try (var restored = harness()) {
      restored.initializeState(again);
      restored.open();
      assertTheFirstWindowIs(restored, expected);
    }
  }

  @Test
  void samplesWithoutAUsableReferenceGoToTheSideOutput() throws Exception {
    try (var h = harness()) {
      h.open();
      h.processElement(sample("missing", MIN), MIN);
      DriftInput otherSet = sample("1", MIN);
      otherSet.featureSetVersion = "fs-other";
      h.processElement(otherSet, MIN);
      h.processWatermark(Long.MAX_VALUE);
      assertThat(h.extractOutputValues()).isEmpty();
      assertThat(h.getSideOutput(PartialWindowOperator.UNBINNABLE)).extracting(r -> r.getValue().errorCode)
          .containsExactly("NO_REFERENCE", "UNKNOWN_FEATURE_SET");
    }
  }
}
