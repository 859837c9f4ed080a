package io.vigil.pipeline;

import io.vigil.streamio.RecordHeaders;

/**
 * A telemetry record after decoding: either a sample aligned to the feature set's metrics, or the
 * raw bytes with the reason they were refused. A Flink POJO (public fields, no-arg constructor).
 */
public class DecodedSample {

  public String entity;
  /** Event time, epoch ms. */
  public long time;
  /** Values in the feature set's metric order. */
  public double[] values;
  public long sequence;
  /** The record's W3C trace context (valid), passed on to its feature vector; null when none. */
  public String traceparent;
  public String tracestate;

  /** Set when the record was refused: a stable code and a human-readable reason. */
  public String errorCode;
  public String reason;
  public String topic;
  public int partition;
  public long offset;
  public byte[] rawKey;
  public byte[] rawValue;
  /** The refused record's Kafka headers (null when it had none). */
  public RecordHeaders headers;

  public DecodedSample() {}

  public boolean failed() {
    return errorCode != null;
  }

  static DecodedSample ok(String entity, long time, double[] values, long sequence) {
    DecodedSample s = new DecodedSample();
    s.entity = entity;
    s.time = time;
    s.values = values;
    s.sequence = sequence;
    return s;
  }

  static DecodedSample refused(String code, String reason, String topic, int partition, long offset,
      byte[] key, byte[] value) {
    DecodedSample s = new DecodedSample();
    s.errorCode = code;
    s.reason = reason;
    s.topic = topic;
    s.partition = partition;
    s.offset = offset;
    s.rawKey = key;
    s.rawValue = value;
    s.time = Long.MIN_VALUE;
    return s;
  }
}
