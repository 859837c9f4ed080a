package io.vigil.streamio;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.flink.util.function.SerializableSupplier;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes one of Vigil's Avro records to a Kafka topic: the value in the single-object encoding
 * ({@link AvroSerde}, what every reader of the topic expects), the key taken from the record (the
 * entity for vectors and predictions, so that Kafka keeps each entity's records in order).
 */
public final class AvroRecords<T extends SpecificRecordBase> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final SerializableFunction<T, byte[]> key;
  private final SerializableSupplier<Encoder<T>> encoders;
  private transient Encoder<T> encoder;

  /**
   * Writes a record's single-object encoding: the same bytes as {@link AvroSerde#encode}. One
   * instance per serializer; need not be thread-safe.
   */
  @FunctionalInterface
  public interface Encoder<T> {
    byte[] encode(T record);
  }

  private AvroRecords(String topic, SerializableFunction<T, byte[]> key, SerializableSupplier<Encoder<T>> encoders) {
    this.topic = requireNonNull(topic, "topic");
    this.key = requireNonNull(key, "key");
    this.encoders = requireNonNull(encoders, "encoders");
  }

  /** Records of {@code type} to {@code topic}, keyed by {@code key} (null = no key). */
  public static <T extends SpecificRecordBase> AvroRecords<T> keyedBy(String topic, Class<T> type,
      SerializableFunction<T, byte[]> key) {
    requireNonNull(type, "type");
    return new AvroRecords<>(topic, key, () -> AvroSerde.of(type)::encode);
  }

  /**
   * The same with a hand-written encoder of the record's hot path (made once per serializer
   * instance), which must produce {@link AvroSerde}'s bytes.
   */
  public static <T extends SpecificRecordBase> AvroRecords<T> keyedBy(String topic,
      SerializableFunction<T, byte[]> key, SerializableSupplier<Encoder<T>> encoder) {
    return new AvroRecords<>(topic, key, encoder);
  }

  /** Dead letters, keyed by the refused record's own key. */
  public static AvroRecords<DeadLetter> deadLetters(String topic) {
    return keyedBy(topic, DeadLetter.class, d -> bytes(d.getKey()));
  }

  /** The UTF-8 bytes of a key string. */
  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T record, KafkaSinkContext ctx, Long timestamp) {
    if (encoder == null) {
      encoder = encoders.get();
    }
    return new ProducerRecord<>(topic, key.apply(record), encoder.encode(record));
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
