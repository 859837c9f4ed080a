package io.vigil.pipeline;

import io.vigil.features.FeatureSet;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns Kafka records into {@link DecodedSample}s. Never throws on bad input: unreadable bytes,
 * missing metrics, and NaN, infinite or absurd values become refused samples carrying the raw
 * bytes and the reason, for the dead-letter topic.
 */
final class TelemetryDecoder implements KafkaRecordDeserializationSchema<DecodedSample> {

  private static final long serialVersionUID = 1L;

  private final List<String> metrics;
  private final double absurdLimit;
  private transient AvroSerde<TelemetrySample> serde;

  TelemetryDecoder(FeatureSet set, double absurdLimit) {
    this.metrics = List.copyOf(set.metrics());
    this.absurdLimit = absurdLimit;
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<DecodedSample> out) {
    out.collect(decode(record.topic(), record.partition(), record.offset(), record.key(), record.value()));
  }

  DecodedSample decode(String topic, int partition, long offset, byte[] key, byte[] value) {
    if (serde == null) {
      serde = AvroSerde.of(TelemetrySample.class);
    }
    TelemetrySample s;
    try {
      s = serde.decode(value);
    } catch (RecordDecodingException e) {
      return DecodedSample.refused(e.code().name(), e.getMessage(), topic, partition, offset, key, value);
    }
    Map<String, Double> m = s.getMetrics();
    double[] x = new double[metrics.size()];
    for (int i = 0; i < x.length; i++) {
      Double v = m.get(metrics.get(i));
      if (v == null) {
        return DecodedSample.refused("MISSING_METRIC", "entity " + s.getEntity() + " at "
            + s.getEventTime() + " has no value for metric " + metrics.get(i), topic, partition, offset, key, value);
      }
      if (!Double.isFinite(v)) {
        return DecodedSample.refused("NON_FINITE_VALUE", "entity " + s.getEntity() + " at "
            + s.getEventTime() + ": metric " + metrics.get(i) + " is " + v, topic, partition, offset, key, value);
      }
      if (Math.abs(v) > absurdLimit) {
        return DecodedSample.refused("ABSURD_VALUE", "entity " + s.getEntity() + " at "
            + s.getEventTime() + ": metric " + metrics.get(i) + " = " + v + " is beyond +-" + absurdLimit,
            topic, partition, offset, key, value);
      }
      x[i] = v;
    }
    if (s.getEntity().isBlank()) {
      return DecodedSample.refused("MISSING_ENTITY", "record has an empty entity", topic, partition, offset, key, value);
    }
    return DecodedSample.ok(s.getEntity(), s.getEventTime().toEpochMilli(), x, s.getSequence());
  }

  @Override
  public TypeInformation<DecodedSample> getProducedType() {
    return TypeInformation.of(DecodedSample.class);
  }
}
