package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.Prediction;
import io.vigil.schemas.TraceContext;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A {@link ScoredPrediction} on the predictions topic: key = entity, value = the prediction's
 * single-object encoding, and the vector's trace context as {@code traceparent} / {@code
 * tracestate} headers when it had one.
 */
final class ScoredPredictionSerializer implements KafkaRecordSerializationSchema<ScoredPrediction> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private transient AvroSerde<Prediction> serde;

  ScoredPredictionSerializer(String topic) {
    this.topic = requireNonNull(topic, "topic");
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(ScoredPrediction s, KafkaSinkContext context, Long timestamp) {
    if (serde == null) {
      serde = AvroSerde.of(Prediction.class);
    }
    ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(topic,
        s.prediction.getEntity().getBytes(StandardCharsets.UTF_8), serde.encode(s.prediction));
    TraceContext.addTo(out.headers(), s.traceparent, s.tracestate);
    return out;
  }
}
