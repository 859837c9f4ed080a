package io.vigil.pipeline.scoring;

import io.vigil.streamio.RecordHeaders;

/**
 * A record of the features topic after decoding: a feature vector to score, or the raw bytes with
 * the reason they were refused. The raw bytes are kept either way, so that a vector the model
 * refuses can go to the dead-letter topic as it was read. A Flink POJO (public fields, no-arg
 * constructor).
 */
public class ScoringInput {

  public String sampleId;
  public String entity;
  /** Window start and end, epoch ms. */
  public long windowStart;
  public long windowEnd;
  public String featureSetVersion;
  /** Feature names in the order of {@link #values}; empty when the producer omitted them. */
  public String[] names;
  public double[] values;

  /** Set when the record was refused: a stable code and a human-readable reason. */
  public String errorCode;
  public String reason;
  public String topic;
  public int partition;
  public long offset;
  public byte[] rawKey;
  public byte[] rawValue;
  /**
   * The record's Kafka headers (null when it had none): kept like its bytes for a dead letter, and
   * its trace context goes on to serving and to its prediction.
   */
  public RecordHeaders headers;

  public ScoringInput() {}

  public boolean failed() {
    return errorCode != null;
  }

  static ScoringInput refused(String code, String reason, String topic, int partition, long offset,
      byte[] key, byte[] value) {
    ScoringInput s = new ScoringInput();
    s.errorCode = code;
    s.reason = reason;
    s.topic = topic;
    s.partition = partition;
    s.offset = offset;
    s.rawKey = key;
    s.rawValue = value;
    return s;
  }
}
