package io.vigil.drift;

import io.vigil.streamio.RecordHeaders;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One decoded input record of the drift job — a feature vector, a prediction, a label, or a record
 * that could not be read (with its raw bytes and the reason, for the dead-letter topic). A Flink
 * POJO (public fields, no-argument constructor); a joined sample carries both the vector's values
 * and the prediction's fields. Serialized by {@link DriftInputSerializer} wherever Flink derives
 * its type.
 */
@TypeInfo(DriftInputSerializer.Factory.class)
public class DriftInput {

  /** What the record is. */
  public enum Kind { FEATURES, PREDICTION, LABEL, JOINED, REFUSED }

  public Kind kind;
  public String sampleId;
  public String entity;
  /** Event time: the window end of the sample (labels: when labelled). */
  public long time;

  // feature vector
  public String featureSetVersion;
  /** Feature names, or null when the producer omitted them. */
  public String[] names;
  /**
   * The values as {@code float}s ({@link FeatureValues#narrow}): training builds the reference
   * profiles from {@code float} features, so a live value lands in the cell its training twin would,
   * and the join's input, state and checkpoints carry half the bytes.
   */
  public float[] values;

  // prediction
  public String modelName;
  public String modelVersion;
  public double score;
  /** Calibrated probability, NaN when the model gives none. */
  public double probability = Double.NaN;
  public boolean anomaly;

  // label: 1 anomaly, 0 normal, -1 unsure/skip
  public int label = -1;
  /** The label event's id (de-duplication), or null. */
  public String eventId;
  /** The id of the label event this one retracts, or null. */
  public String retracts;

  // refused
  public String topic;
  public int partition = -1;
  public long offset = -1;
  public byte[] rawKey;
  /** A refused record's Kafka headers (null when it had none). */
  public RecordHeaders headers;
  public byte[] rawValue;
  public String errorCode;
  public String reason;

  public DriftInput() {}

  public String modelKey() {
    return modelKey(modelName, modelVersion);
  }

  /** The key of a model version's drift state: name and version. */
  public static String modelKey(String name, String version) {
    return name + "\u0000" + version;
  }

  public static DriftInput refused(String topic, int partition, long offset, byte[] key, byte[] value,
      String code, String reason) {
    DriftInput d = new DriftInput();
    d.kind = Kind.REFUSED;
    d.topic = topic;
    d.partition = partition;
    d.offset = offset;
    d.rawKey = key;
    d.rawValue = value;
    d.errorCode = code;
    d.reason = reason;
    return d;
  }
}
