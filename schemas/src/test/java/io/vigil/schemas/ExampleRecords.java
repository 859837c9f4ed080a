package io.vigil.schemas;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecordBase;

/** One fully populated example of every contract record. */
final class ExampleRecords {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant T1 = Instant.parse("2026-01-01T00:10:00Z");

  private ExampleRecords() {}

  static TelemetrySample telemetry() {
    return TelemetrySample.newBuilder()
        .setEntity("machine-1-2")
        .setEntityKind(EntityKind.HOST)
        .setEventTime(T0)
        .setMetrics(Map.of("cpu_r", 0.16, "load_1", 0.058339))
        .setTags(Map.of("dataset", "smd"))
        .setSource("smd/test/machine-1-2.txt:1")
        .setSequence(0)
        .build();
  }

  static FeatureVector features() {
    return FeatureVector.newBuilder()
        .setSampleId(SampleIds.of("machine-1-2", T1, "fs-abc"))
        .setEntity("machine-1-2")
        .setWindowStart(T0)
        .setWindowEnd(T1)
        .setFeatureSetId("default")
        .setFeatureSetVersion("fs-abc")
        .setNames(List.of("cpu_r.mean", "cpu_r.std"))
        .setValues(List.of(0.2, 0.01))
        .setSequence(10)
        .build();
  }

  static Prediction prediction() {
    return Prediction.newBuilder()
        .setSampleId(features().getSampleId())
        .setEntity("machine-1-2")
        .setWindowStart(T0)
        .setWindowEnd(T1)
        .setModelName("vigil-detector")
        .setModelVersion("3")
        .setModelAlias("champion")
        .setScore(0.91)
        .setProbability(0.7)
        .setUncertainty(0.6)
        .setThreshold(0.8)
        .setAnomaly(true)
        .setAttributions(Map.of("cpu_r", 0.8, "load_1", 0.2))
        .setLatencyMicros(250)
        .setPredictedAt(T1)
        .setShadow(false)
        .setFeatureSetVersion("fs-abc")
        .build();
  }

  static LabelRequest labelRequest() {
    return LabelRequest.newBuilder()
        .setRequestId("r-1")
        .setSampleId(features().getSampleId())
        .setEntity("machine-1-2")
        .setWindowStart(T0)
        .setWindowEnd(T1)
        .setReason(LabelReason.UNCERTAIN)
        .setPriority(0.9)
        .setFeatures(features())
        .setPrediction(prediction())
        .setContext(List.of(new ContextPoint(T0, Map.of("cpu_r", 0.1), false),
            new ContextPoint(T1, Map.of("cpu_r", 0.9), true)))
        .setIncidentId(null)
        .setCreatedAt(T1)
        .build();
  }

  static LabelEvent labelEvent() {
    return LabelEvent.newBuilder()
        .setEventId("e-1")
        .setSampleId(features().getSampleId())
        .setEntity("machine-1-2")
        .setAnnotator("ada")
        .setLabel(LabelValue.ANOMALY)
        .setRootCauseMetrics(List.of("cpu_r"))
        .setNote("cpu spike")
        .setLabeledAt(T1)
        .setIdempotencyKey("k-1")
        .setRequestId("r-1")
        .setIncidentId("i-1")
        .setIncidentAction(IncidentAction.OPENED)
        .setRetracts(null)
        .build();
  }

  static DriftReport drift() {
    FeatureDrift fd = new FeatureDrift("cpu_r.mean", 0.3, 0.1, 0.2, 0.05, true);
    return DriftReport.newBuilder()
        .setModelName("vigil-detector")
        .setModelVersion("3")
        .setWindowStart(T0)
        .setWindowEnd(T1)
        .setSampleCount(600)
        .setFeatures(List.of(fd))
        .setDriftedShare(1.0)
        .setScore(fd)
        .setAlarm(true)
        .setAlarmReason("psi above 0.25 for 3 windows")
        .setEstimatedPrecision(0.5)
        .setEstimatedRecall(0.4)
        .setEstimatedF1(0.44)
        .build();
  }

  static ModelEvent modelEvent() {
    return ModelEvent.newBuilder()
        .setEventId("m-1")
        .setModelName("vigil-detector")
        .setModelVersion("4")
        .setType(ModelEventType.PROMOTED)
        .setAlias("champion")
        .setPreviousVersion("3")
        .setMetrics(Map.of("f1", 0.55))
        .setActor("retrain-watcher")
        .setReason("better by 0.03 F1")
        .setSource("s3://vigil-models/1/abc/artifacts/model")
        .setEventTime(T1)
        .build();
  }

  static DeadLetter deadLetter() {
    return DeadLetter.newBuilder()
        .setSourceTopic("vigil.telemetry")
        .setPartition(1)
        .setOffset(42)
        .setKey(ByteBuffer.wrap(new byte[] {1, 2}))
        .setValue(ByteBuffer.wrap(new byte[] {3, 4, 5}))
        .setHeaders(Map.of("traceparent", ByteBuffer.wrap(new byte[] {9})))
        .setStage("feature-pipeline/decode")
        .setErrorCode("BAD_HEADER")
        .setReason("not Avro single-object encoding")
        .setFailedAt(T1)
        .build();
  }

  static List<SpecificRecordBase> all() {
    return List.of(telemetry(), features(), prediction(), labelRequest(), labelEvent(), drift(),
        modelEvent(), deadLetter());
  }
}
