package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.vigil.model.ModelSpec;

/**
 * One scored row, as handed to the prediction log: cheap to make on the request path; the Avro
 * {@code Prediction} is built later, on the log's own thread.
 *
 * @param probability this row's calibrated probability of an anomaly, or null when the model has
 *     no supervised head
 * @param attributions this row's attributions (input order), or null
 * @param traceparent the caller's W3C trace context (valid), passed on as a Kafka header; or null
 * @param tracestate its {@code tracestate}, or null
 */
public record PredictionEntry(ModelId model, ModelSpec spec, String sampleId, String entity,
    Long windowStartMillis, Long windowEndMillis, float score, Float probability, float uncertainty,
    float[] attributions, long latencyMicros, long predictedAtMillis, boolean shadow, String traceparent,
    String tracestate) {

  public PredictionEntry {
    requireNonNull(model, "model");
    requireNonNull(spec, "spec");
    requireNonNull(sampleId, "sampleId");
    requireNonNull(entity, "entity");
  }
}
