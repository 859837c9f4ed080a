package io.vigil.pipeline;

import io.vigil.schemas.FeatureVector;

/**
 * What the feature job writes: a feature vector and the W3C trace context of the telemetry record
 * it was computed at (null when that record had none), which the features topic carries as Kafka
 * headers ({@link FeatureRecordSerializer}). A Flink POJO (public fields, no-arg constructor).
 */
public class FeatureRecord {

  public FeatureVector vector;
  public String traceparent;
  public String tracestate;

  public FeatureRecord() {}

  public static FeatureRecord of(FeatureVector vector, String traceparent, String tracestate) {
    FeatureRecord r = new FeatureRecord();
    r.vector = vector;
    r.traceparent = traceparent;
    r.tracestate = tracestate;
    return r;
  }
}
