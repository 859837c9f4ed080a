package io.vigil.drift.requests;

import io.vigil.drift.requests.RequestInput.Kind;
import io.vigil.schemas.DriftReport;
import io.vigil.schemas.FeatureDrift;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.IncidentAction;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.LabelValue;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.SampleIds;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Records of the label-request job's inputs, built by hand for operator tests. */
final class TestRecords {

  static final String VERSION = "fs-test";
  static final long MINUTE = 60_000L;

  private TestRecords() {}

  static String sampleId(String entity, long t) {
    return SampleIds.of(entity, Instant.ofEpochMilli(t), VERSION);
  }

  static RequestInput telemetry(String entity, long t, double value) {
    TelemetrySample s = TelemetrySample.newBuilder().setEntity(entity).setEventTime(Instant.ofEpochMilli(t))
        .setMetrics(Map.of("cpu_r", value, "mem_u", 1 - value)).build();
    return RequestInput.ok(Kind.TELEMETRY, entity, t, AvroSerde.of(TelemetrySample.class).encode(s));
  }

  static RequestInput features(String entity, long start, long t) {
    FeatureVector v = FeatureVector.newBuilder().setSampleId(sampleId(entity, t)).setEntity(entity)
        .setWindowStart(Instant.ofEpochMilli(start)).setWindowEnd(Instant.ofEpochMilli(t))
        .setFeatureSetId("test").setFeatureSetVersion(VERSION).setNames(List.of("cpu_r.last", "mem_u.last"))
        .setValues(List.of(0.5, 0.5)).build();
    return RequestInput.ok(Kind.FEATURES, entity, t, AvroSerde.of(FeatureVector.class).encode(v));
  }

  /** A prediction with score {@code score} against threshold 1 (anomalous above 1), no probability. */
  static RequestInput prediction(String entity, long start, long t, double score, Map<String, Double> attributions) {
    return RequestInput.ok(Kind.PREDICTION, entity, t,
        AvroSerde.of(Prediction.class).encode(predictionRecord(entity, start, t, score, attributions)));
  }

  /** The same, with a calibrated probability of "anomaly". */
  static RequestInput prediction(String entity, long start, long t, double score, double probability,
      Map<String, Double> attributions) {
    Prediction p = predictionRecord(entity, start, t, score, attributions);
    p.setProbability(probability);
    return RequestInput.ok(Kind.PREDICTION, entity, t, AvroSerde.of(Prediction.class).encode(p));
  }

  static Prediction predictionRecord(String entity, long start, long t, double score, Map<String, Double> attributions) {
    return Prediction.newBuilder().setSampleId(sampleId(entity, t)).setEntity(entity)
        .setWindowStart(Instant.ofEpochMilli(start)).setWindowEnd(Instant.ofEpochMilli(t))
        .setModelName("m").setModelVersion("1").setScore(score).setUncertainty(0.5).setThreshold(1.0)
        .setAnomaly(score > 1.0).setAttributions(attributions).setPredictedAt(Instant.ofEpochMilli(t))
        .setFeatureSetVersion(VERSION).build();
  }

  static RequestInput label(String entity, long t, String sampleId, LabelValue value, String incidentId,
      IncidentAction action, String retracts) {
    LabelEvent l = LabelEvent.newBuilder().setEventId("e-" + sampleId + "-" + value + "-" + retracts)
        .setSampleId(sampleId).setEntity(entity).setAnnotator("ann").setLabel(value)
        .setLabeledAt(Instant.ofEpochMilli(t)).setIdempotencyKey("k-" + sampleId + value)
        .setIncidentId(incidentId).setIncidentAction(action).setRetracts(retracts).build();
    return RequestInput.ok(Kind.LABEL, entity, t, AvroSerde.of(LabelEvent.class).encode(l));
  }

  static RequestInput drift(String model, long end, List<String> driftedFeatures) {
    DriftReport r = DriftReport.newBuilder().setModelName(model).setModelVersion("1")
        .setWindowStart(Instant.ofEpochMilli(end - 3_600_000L)).setWindowEnd(Instant.ofEpochMilli(end))
        .setSampleCount(100)
        .setFeatures(driftedFeatures.stream().map(f -> FeatureDrift.newBuilder().setFeature(f).setPsi(0.5)
            .setJensenShannon(0.2).setKs(0.3).setWasserstein(0.1).setDrifted(true).build()).toList())
        .setDriftedShare(0.5).setAlarm(true).build();
    return RequestInput.ok(Kind.DRIFT, model, end, AvroSerde.of(DriftReport.class).encode(r));
  }

  static LabelRequest request(Candidate c) {
    return AvroSerde.of(LabelRequest.class).decode(c.payload);
  }

  /**
   * A test-sized query level: the 0.9 quantile of the last 64 scores, recomputed every window, after
   * 5 windows (eval's is 0.97 of 8192, every 50, after 100).
   */
  static final LabelRequestConfig.QueryLevel LEVEL = new LabelRequestConfig.QueryLevel(0.9, 64, 1, 5);

  /** An ordinary window's score: below every earlier one, so never at or above the level. */
  static double ordinary(int step) {
    return 0.9 - step / 10_000.0;
  }

  /** An outlier's score: above every earlier one, anomalous to the model (threshold 1). */
  static double high(int step) {
    return 5 + step / 10_000.0;
  }

  /** Defaults with a test-sized policy: the level measure, {@link #LEVEL}, follow-ups every firstFollowUp. */
  static LabelRequestConfig config(double minUncertainty, long cooldown, long firstFollowUp,
      double auditShare, double perHour, double burst, int contextPoints, double diversityStrength) {
    return config(LabelRequestConfig.Measure.LEVEL, minUncertainty, cooldown, firstFollowUp, 1.0, auditShare,
        perHour, burst, contextPoints, diversityStrength);
  }

  static LabelRequestConfig config(LabelRequestConfig.Measure measure, double minUncertainty, long cooldown,
      long firstFollowUp, double followUpGrowth, double auditShare, double perHour, double burst,
      int contextPoints, double diversityStrength) {
    LabelRequestConfig d = LabelRequestConfig.defaults();
    return new LabelRequestConfig(d.jobName(), d.bootstrapServers(), d.topics(), d.groupId(),
        d.transactionalIdPrefix(), d.transactionTimeout(), d.checkpointInterval(), d.checkpointDir(),
        d.outOfOrderness(), d.idleness(), d.predictionsIdleness(), d.strategy(), measure, LEVEL, minUncertainty, cooldown,
        firstFollowUp, followUpGrowth, d.randomRate(), auditShare, new LabelRequestConfig.EntityBudget(perHour, burst),
        new LabelRequestConfig.GlobalBudget(1000, Duration.ofHours(1), Duration.ofHours(2)), contextPoints, 10, 3, 1.0,
        diversityStrength, 7, 1);
  }
}
