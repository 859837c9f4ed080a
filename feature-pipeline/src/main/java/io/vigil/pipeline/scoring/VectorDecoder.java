package io.vigil.pipeline.scoring;

import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import io.vigil.streamio.RecordHeaders;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns records of the features topic into {@link ScoringInput}s. Never throws on bad input:
 * unreadable bytes ({@code BAD_HEADER}, {@code UNKNOWN_SCHEMA}, {@code CORRUPT_BODY}, {@code
 * EMPTY_RECORD}), a vector without values ({@code EMPTY_VECTOR}) or without entity ({@code
 * MISSING_ENTITY}), or with names that do not match its values ({@code NAMES_MISMATCH}) become
 * refused inputs carrying the raw bytes and the reason, for the dead-letter topic.
 */
final class VectorDecoder implements KafkaRecordDeserializationSchema<ScoringInput> {

  private static final long serialVersionUID = 1L;

  private transient AvroSerde<FeatureVector> serde;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ScoringInput> out) {
    ScoringInput in = decode(record.topic(), record.partition(), record.offset(), record.key(), record.value());
    // kept for every vector, like its bytes: serving may refuse it later (null when there are none)
    // (its trace context among them, which the scoring function passes on)
    in.headers = RecordHeaders.of(record.headers());
    out.collect(in);
  }

  ScoringInput decode(String topic, int partition, long offset, byte[] key, byte[] value) {
    if (serde == null) {
      serde = AvroSerde.of(FeatureVector.class);
    }
    FeatureVector v;
    try {
      v = serde.decode(value);
    } catch (RecordDecodingException e) {
      return ScoringInput.refused(e.code().name(), e.getMessage(), topic, partition, offset, key, value);
    }
    List<Double> values = v.getValues();
    if (v.getEntity().isBlank()) {
      return ScoringInput.refused("MISSING_ENTITY", "feature vector " + v.getSampleId() + " has an empty entity",
          topic, partition, offset, key, value);
    }
    if (values.isEmpty()) {
      return ScoringInput.refused("EMPTY_VECTOR", "feature vector " + v.getSampleId() + " has no values",
          topic, partition, offset, key, value);
    }
    List<String> names = v.getNames();
    if (!names.isEmpty() && names.size() != values.size()) {
      return ScoringInput.refused("NAMES_MISMATCH", "feature vector " + v.getSampleId() + " has "
          + names.size() + " names for " + values.size() + " values", topic, partition, offset, key, value);
    }
    ScoringInput s = new ScoringInput();
    s.sampleId = v.getSampleId();
    s.entity = v.getEntity();
    s.windowStart = v.getWindowStart().toEpochMilli();
    s.windowEnd = v.getWindowEnd().toEpochMilli();
    s.featureSetVersion = v.getFeatureSetVersion();
    s.names = names.toArray(new String[0]);
    s.values = new double[values.size()];
    for (int i = 0; i < s.values.length; i++) {
      s.values[i] = values.get(i);
    }
    s.topic = topic;
    s.partition = partition;
    s.offset = offset;
    s.rawKey = key;
    s.rawValue = value;
    return s;
  }

  @Override
  public TypeInformation<ScoringInput> getProducedType() {
    return TypeInformation.of(ScoringInput.class);
  }
}
