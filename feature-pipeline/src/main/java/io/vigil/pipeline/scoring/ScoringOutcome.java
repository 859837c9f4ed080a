package io.vigil.pipeline.scoring;

import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.Prediction;

/**
 * What scoring one vector gave: a prediction, or a dead letter when the server refused the vector
 * for good. Exactly one of the two fields is set. A Flink POJO.
 */
public class ScoringOutcome {

  public Prediction prediction;
  public DeadLetter deadLetter;
  /** The scored vector's trace context (null when none), for the prediction's headers. */
  public String traceparent;
  public String tracestate;

  public ScoringOutcome() {}

  static ScoringOutcome of(Prediction p) {
    ScoringOutcome o = new ScoringOutcome();
    o.prediction = p;
    return o;
  }

  static ScoringOutcome of(DeadLetter d) {
    ScoringOutcome o = new ScoringOutcome();
    o.deadLetter = d;
    return o;
  }
}
