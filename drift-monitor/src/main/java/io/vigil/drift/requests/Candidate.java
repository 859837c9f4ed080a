package io.vigil.drift.requests;

/**
 * A label request chosen by the entity stage, on its way through the global budget: the encoded
 * {@code LabelRequest} and what the budget orders by. A Flink POJO.
 */
public class Candidate {
  public String requestId;
  public String sampleId;
  public String entity;
  /** Event time of the window asked about, epoch ms. */
  public long createdAt;
  public double priority;
  /** Kind order: follow-ups 0, uncertain 1, audits 2 (ties in priority go to the lower rank). */
  public int kindRank;
  /** Single-object-encoded {@code LabelRequest}. */
  public byte[] payload;
  /** Release time the global budget holds it for (set by the budget stage). */
  public long due;
  /**
   * Processing time after which the budget stage releases it even if event time has not reached
   * {@link #due} (set by the budget stage, see {@code globalBudget.maxHold}).
   */
  public long heldUntil;
  /** The W3C trace context of the prediction asked about (null when none): the request's headers. */
  public String traceparent;
  public String tracestate;

  public Candidate() {}
}
