package io.vigil.pipeline.scoring;

import io.vigil.schemas.Prediction;

/**
 * What the scoring job writes: a prediction and the W3C trace context of the feature vector it
 * scored (null when that record had none), which the predictions topic carries as Kafka headers
 * ({@link ScoredPredictionSerializer}). A Flink POJO (public fields, no-arg constructor).
 */
public class ScoredPrediction {

  public Prediction prediction;
  public String traceparent;
  public String tracestate;

  public ScoredPrediction() {}

  static ScoredPrediction of(Prediction prediction, String traceparent, String tracestate) {
    ScoredPrediction s = new ScoredPrediction();
    s.prediction = prediction;
    s.traceparent = traceparent;
    s.tracestate = tracestate;
    return s;
  }
}
