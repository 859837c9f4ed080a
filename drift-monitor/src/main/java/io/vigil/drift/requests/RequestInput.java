package io.vigil.drift.requests;

import io.vigil.streamio.RecordHeaders;

/**
 * One record read by the label-request job, tagged by the topic it came from: the raw Avro value
 * (single-object encoding, decoded again where it is used, so state holds plain bytes), the entity
 * it belongs to and its event time. Or, when it could not be read, the raw bytes with the reason,
 * for the dead-letter topic. A Flink POJO (public fields, no-argument constructor).
 */
public class RequestInput {

  /** Which input a record came from. */
  public enum Kind { TELEMETRY, FEATURES, PREDICTION, LABEL, DRIFT }

  public Kind kind;
  /** The entity (for a drift report: the model name). */
  public String entity;
  /** Event time, epoch ms: telemetry event time, window end, label time, drift window end. */
  public long time;
  /** The record's bytes as read (the value of the Kafka record). */
  public byte[] value;

  /** Set when the record was refused: a stable code and a human-readable reason. */
  public String errorCode;
  public String reason;
  public String topic;
  public int partition;
  public long offset;
  public byte[] rawKey;
  /** A refused record's Kafka headers (null when it had none). */
  public RecordHeaders headers;
  /** A prediction's W3C trace context (valid), passed on to the request it leads to; null when none. */
  public String traceparent;
  public String tracestate;

  public RequestInput() {}

  public boolean failed() {
    return errorCode != null;
  }

  static RequestInput ok(Kind kind, String entity, long time, byte[] value) {
    RequestInput r = new RequestInput();
    r.kind = kind;
    r.entity = entity;
    r.time = time;
    r.value = value;
    return r;
  }

  static RequestInput refused(Kind kind, String code, String reason, String topic, int partition,
      long offset, byte[] key, byte[] value) {
    RequestInput r = new RequestInput();
    r.kind = kind;
    r.errorCode = code;
    r.reason = reason;
    r.topic = topic;
    r.partition = partition;
    r.offset = offset;
    r.rawKey = key;
    r.value = value;
    r.time = Long.MIN_VALUE;
    return r;
  }
}
