package io.vigil.drift;

import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.Incidents;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelValue;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import io.vigil.streamio.RecordHeaders;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes one topic of the drift job into {@link DriftInput}s. Never throws: unreadable bytes
 * (the serde's codes), {@code NON_FINITE_VALUE} (NaN/inf in a vector or score), {@code
 * BAD_PROBABILITY} (outside [0, 1]), {@code BAD_NAMES} (names and values differ in length) and
 * {@code MISSING_FIELD} (blank sample id or model, no entity) come out as {@code REFUSED} inputs with the raw
 * key and value, for the dead-letter topic.
 */
public final class DriftDecoder implements KafkaRecordDeserializationSchema<DriftInput> {
  private static final long serialVersionUID = 1L;

  private final DriftInput.Kind kind;
  private transient AvroSerde<FeatureVector> features;
  private transient FastVectorReader fastVectors;
  private transient FastPredictionReader fastPredictions;
  private transient AvroSerde<Prediction> predictions;
  private transient AvroSerde<LabelEvent> labels;

  public DriftDecoder(DriftInput.Kind kind) {
    if (kind != DriftInput.Kind.FEATURES && kind != DriftInput.Kind.PREDICTION && kind != DriftInput.Kind.LABEL) {
      throw new IllegalArgumentException("cannot decode " + kind);
    }
    this.kind = kind;
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<DriftInput> out) {
    DriftInput d = decode(r.topic(), r.partition(), r.offset(), r.key(), r.value());
    if (d.kind == DriftInput.Kind.REFUSED) {
      d.headers = RecordHeaders.of(r.headers());
    }
    out.collect(d);
  }

  /** Decodes one record's value; the position fields only go into a refusal. */
  public DriftInput decode(String topic, int partition, long offset, byte[] key, byte[] value) {
    try {
      if (value == null || value.length == 0) {
        return DriftInput.refused(topic, partition, offset, key, value, "EMPTY_RECORD", "record has no value");
      }
      DriftInput d = switch (kind) {
        case FEATURES -> features(value);
        case PREDICTION -> prediction(value);
        default -> label(value);
      };
      String problem = check(d);
      return problem == null ? d : DriftInput.refused(topic, partition, offset, key, value,
          problem.substring(0, problem.indexOf(':')), problem.substring(problem.indexOf(':') + 2));
    } catch (RecordDecodingException e) {
      return DriftInput.refused(topic, partition, offset, key, value, e.code().name(), e.getMessage());
    } catch (RuntimeException e) {
      return DriftInput.refused(topic, partition, offset, key, value, "CORRUPT_BODY",
          "cannot read " + kind + " record: " + e);
    }
  }

  private DriftInput features(byte[] value) {
    if (fastVectors == null) {
      fastVectors = new FastVectorReader();
    }
    DriftInput fast = fastVectors.read(value); // the current schema, read straight into double[]
    if (fast != null) {
      return fast;
    }
    if (features == null) {
      features = AvroSerde.of(FeatureVector.class);
    }
    FeatureVector v = features.decode(value);
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.FEATURES;
    d.sampleId = v.getSampleId();
    d.entity = v.getEntity();
    d.time = v.getWindowEnd().toEpochMilli();
    d.featureSetVersion = v.getFeatureSetVersion();
    List<Double> vals = v.getValues();
    d.values = new float[vals.size()];
    for (int i = 0; i < d.values.length; i++) {
      d.values[i] = FeatureValues.narrow(vals.get(i));
    }
    List<String> names = v.getNames();
    d.names = names == null || names.isEmpty() ? null : names.toArray(new String[0]);
    return d;
  }

  private DriftInput prediction(byte[] value) {
    if (fastPredictions == null) {
      fastPredictions = new FastPredictionReader();
    }
    DriftInput fast = fastPredictions.read(value); // the current schema, without the attributions map
    if (fast != null) {
      return fast;
    }
    if (predictions == null) {
      predictions = AvroSerde.of(Prediction.class);
    }
    Prediction p = predictions.decode(value);
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.PREDICTION;
    d.sampleId = p.getSampleId();
    d.entity = p.getEntity();
    d.time = p.getWindowEnd().toEpochMilli();
    d.modelName = p.getModelName();
    d.modelVersion = p.getModelVersion();
    d.score = p.getScore();
    d.probability = p.getProbability() == null ? Double.NaN : p.getProbability();
    d.anomaly = Incidents.modelFlag(p);
    d.featureSetVersion = p.getFeatureSetVersion();
    return d;
  }

  private DriftInput label(byte[] value) {
    if (labels == null) {
      labels = AvroSerde.of(LabelEvent.class);
    }
    LabelEvent l = labels.decode(value);
    DriftInput d = new DriftInput();
    d.kind = DriftInput.Kind.LABEL;
    d.sampleId = l.getSampleId();
    d.entity = l.getEntity();
    d.time = l.getLabeledAt().toEpochMilli();
    d.label = l.getLabel() == LabelValue.ANOMALY ? 1 : l.getLabel() == LabelValue.NORMAL ? 0 : -1;
    d.eventId = l.getEventId();
    d.retracts = l.getRetracts();
    return d;
  }

  /** "CODE: reason" for an unusable record, null when it is fine. */
  static String check(DriftInput d) {
    if (d.sampleId == null || d.sampleId.isBlank()) {
      return "MISSING_FIELD: no sample id";
    }
    if (d.entity == null && d.kind != DriftInput.Kind.LABEL) {
      return "MISSING_FIELD: " + d.sampleId + " has no entity";
    }
    if (d.kind == DriftInput.Kind.FEATURES) {
      for (int i = 0; i < d.values.length; i++) {
        if (!Double.isFinite(d.values[i])) {
          return "NON_FINITE_VALUE: feature value " + i + " of " + d.sampleId + " is " + d.values[i];
        }
      }
      if (d.names != null && d.names.length != d.values.length) {
        return "BAD_NAMES: " + d.names.length + " names for " + d.values.length + " values in " + d.sampleId;
      }
    } else if (d.kind == DriftInput.Kind.PREDICTION) {
      if (d.modelName == null || d.modelName.isBlank() || d.modelVersion == null || d.modelVersion.isBlank()) {
        return "MISSING_FIELD: prediction " + d.sampleId + " has no model name or version";
      }
      if (!Double.isFinite(d.score)) {
        return "NON_FINITE_VALUE: score of " + d.sampleId + " is " + d.score;
      }
      if (!Double.isNaN(d.probability) && !(d.probability >= 0 && d.probability <= 1)) {
        return "BAD_PROBABILITY: probability of " + d.sampleId + " is " + d.probability;
      }
    }
    return null;
  }

  @Override
  public TypeInformation<DriftInput> getProducedType() {
    return TypeInformation.of(DriftInput.class);
  }
}
