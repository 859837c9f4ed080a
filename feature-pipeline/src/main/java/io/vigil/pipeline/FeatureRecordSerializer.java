package io.vigil.pipeline;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.TraceContext;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A {@link FeatureRecord} on the features topic: key = entity, value = the single-object-encoded
 * vector ({@link FeatureVectorWriter}, byte for byte what {@code AvroSerde} writes), and the trace
 * context as {@code traceparent} / {@code tracestate} headers when there is one. No record
 * timestamp is set, so Kafka stamps the write time.
 */
final class FeatureRecordSerializer implements KafkaRecordSerializationSchema<FeatureRecord> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private transient FeatureVectorWriter writer;

  FeatureRecordSerializer(String topic) {
    this.topic = requireNonNull(topic, "topic");
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(FeatureRecord r, KafkaSinkContext context, Long timestamp) {
    if (writer == null) {
      writer = new FeatureVectorWriter();
    }
    ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(topic,
        r.vector.getEntity().getBytes(StandardCharsets.UTF_8), writer.encode(r.vector));
    TraceContext.addTo(out.headers(), r.traceparent, r.tracestate);
    return out;
  }
}
