package io.vigil.streamio;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes one of Vigil's Avro records to a Kafka topic: the value in the single-object encoding
 * ({@link AvroSerde}, what every reader of the topic expects), the key taken from the record (the
 * entity for vectors and predictions, so that Kafka keeps each entity's records in order).
 */
public final class AvroRecords<T extends SpecificRecordBase> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final Class<T> type;
  private final SerializableFunction<T, byte[]> key;
  private transient AvroSerde<T> serde;

  private AvroRecords(String topic, Class<T> type, SerializableFunction<T, byte[]> key) {
    this.topic = requireNonNull(topic, "topic");
    this.type = requireNonNull(type, "type");
    this.key = requireNonNull(key, "key");
  }

  /** Records of {@code type} to {@code topic}, keyed by {@code key} (null = no key). */
  public static <T extends SpecificRecordBase> AvroRecords<T> keyedBy(String topic, Class<T> type,
      SerializableFunction<T, byte[]> key) {
    return new AvroRecords<>(topic, type, key);
  }

  /** Dead letters, keyed by the refused record's own key. */
  public static AvroRecords<DeadLetter> deadLetters(String topic) {
    return new AvroRecords<>(topic, DeadLetter.class, d -> bytes(d.getKey()));
  }

  /** The UTF-8 bytes of a key string. */
  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T record, KafkaSinkContext ctx, Long timestamp) {
    if (serde == null) {
      serde = AvroSerde.of(type);
    }
    return new ProducerRecord<>(topic, key.apply(record), serde.encode(record));
  }

  private static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return null;
    }
    ByteBuffer dup = b.duplicate();
    byte[] out = new byte[dup.remaining()];
    dup.get(out);
    return out;
  }
}
