package io.vigil.schemas.wire;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.VigilRecords;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The one Kafka serde for every Vigil record.
 *
 * <p>Wire format: Avro <a
 * href="https://avro.apache.org/docs/1.12.0/specification/#single-object-encoding">single-object
 * encoding</a> — the two marker bytes {@code C3 01}, the 8-byte little-endian CRC-64-AVRO
 * fingerprint of the writer schema, then the Avro binary body. No schema registry is needed: a
 * reader knows the current schema of each record and every schema released before it ({@link
 * SchemaHistory}), and resolves an older writer's bytes into the current shape by Avro's schema
 * resolution rules. Bytes with an unknown fingerprint or a bad header fail with a {@link
 * RecordDecodingException} that says which, so the caller can dead-letter them.
 *
 * <p>Instances are thread-safe.
 */
public final class AvroSerde<T extends SpecificRecordBase> implements Serde<T> {

  private final Class<T> type;
  private final Schema schema;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerde(Class<T> type) {
    this.type = requireNonNull(type, "type");
    this.schema = VigilRecords.schemaOf(type);
    SpecificData model = SpecificData.getForClass(type);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
    for (Schema old : SchemaHistory.released(schema.getFullName())) {
      decoder.addSchema(old);
    }
  }

  public static <T extends SpecificRecordBase> AvroSerde<T> of(Class<T> type) {
    return new AvroSerde<>(type);
  }

  public Class<T> type() {
    return type;
  }

  public Schema schema() {
    return schema;
  }

  /** Encodes a record in single-object encoding. */
  public byte[] encode(T record) {
    requireNonNull(record, "record");
    try {
      ByteBuffer buf = encoder.encode(record);
      byte[] out = new byte[buf.remaining()];
      buf.get(out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
    } catch (AvroRuntimeException | NullPointerException | ClassCastException e) {
      throw new IllegalArgumentException(
          "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /** Decodes single-object-encoded bytes, or fails with a reason fit for a dead-letter record. */
  public T decode(byte[] bytes) {
    if (bytes == null) {
      throw new RecordDecodingException(
          RecordDecodingException.Code.EMPTY_RECORD, type.getSimpleName() + ": record has no value");
    }
    try {
      return decoder.decode(bytes);
    } catch (MissingSchemaException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Code.UNKNOWN_SCHEMA,
          type.getSimpleName() + ": the writer schema's fingerprint is not a known version ("
              + e.getMessage() + ")");
    } catch (BadHeaderException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Code.BAD_HEADER,
          type.getSimpleName() + ": not Avro single-object encoding (" + e.getMessage() + ")");
    } catch (IOException | RuntimeException e) {
      throw new RecordDecodingException(
          RecordDecodingException.Code.CORRUPT_BODY,
          type.getSimpleName() + ": body does not match its schema (" + e + ")");
    }
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> data == null ? null : encode(data);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> data == null ? null : decode(data);
  }
}
