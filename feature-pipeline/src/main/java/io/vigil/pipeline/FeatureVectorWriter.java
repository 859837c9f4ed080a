package io.vigil.pipeline;

import io.vigil.features.FeatureValues;
import io.vigil.schemas.FeatureVector;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Writes a {@link FeatureVector} in Avro single-object encoding straight into a byte array: the
 * same bytes as {@code AvroSerde.of(FeatureVector.class).encode(v)} (proved by {@code
 * FeatureVectorWriterTest} and by {@code FeatureJobIT}'s parity check), without Avro's generic
 * datum writer, which costs a synchronized stream call and a boxed {@code Double} per feature. The
 * 307 values of the SMD set are most of every record, so they are copied as little-endian doubles
 * in one loop (from the primitive array when the vector was built by {@code FeatureVectors}).
 *
 * <p>Checks at construction that the current {@code FeatureVector} schema still has exactly the
 * fields this writer knows, so a schema change cannot silently produce other bytes. Not
 * thread-safe (one scratch buffer); one instance per serializer.
 */
final class FeatureVectorWriter {

  /** The fields, in order, that {@link #encode} writes; checked against the generated schema. */
  private static final List<String> LAYOUT = List.of("sampleId:STRING", "entity:STRING",
      "windowStart:LONG", "windowEnd:LONG", "featureSetId:STRING", "featureSetVersion:STRING",
      "names:ARRAY<STRING>", "values:ARRAY<DOUBLE>", "sequence:LONG");

  /** Eight bytes at any offset of a byte array, as one little-endian long. */
  private static final VarHandle LITTLE_ENDIAN_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final byte[] header;
  private byte[] buf = new byte[4096];
  private int pos;

  FeatureVectorWriter() {
    Schema schema = FeatureVector.getClassSchema();
    List<String> layout = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      Schema t = f.schema();
      layout.add(f.name() + ":" + (t.getType() == Schema.Type.ARRAY
          ? "ARRAY<" + t.getElementType().getType() + ">" : t.getType().toString()));
    }
    if (!layout.equals(LAYOUT)) {
      throw new IllegalStateException("the FeatureVector schema changed (" + layout
          + "); FeatureVectorWriter writes " + LAYOUT + " and must be updated with it");
    }
    // single-object encoding: marker C3 01, then the CRC-64-AVRO fingerprint, little-endian
    long fp = SchemaNormalization.parsingFingerprint64(schema);
    header = new byte[10];
    header[0] = (byte) 0xC3;
    header[1] = (byte) 0x01;
    for (int i = 0; i < 8; i++) {
      header[2 + i] = (byte) (fp >>> (8 * i));
    }
  }

  /** The single-object encoding of {@code v}, in a new array. */
  byte[] encode(FeatureVector v) {
    pos = 0;
    ensure(header.length);
    System.arraycopy(header, 0, buf, 0, header.length);
    pos = header.length;
    return writeBody(v);
  }

  /** The Avro binary encoding of {@code v} alone (no header), as in Avro container files. */
  byte[] encodeBody(FeatureVector v) {
    pos = 0;
    return writeBody(v);
  }

  private byte[] writeBody(FeatureVector v) {
    List<String> names = v.getNames();
    double[] values = FeatureValues.primitive(v.getValues());
    writeString(v.getSampleId());
    writeString(v.getEntity());
    writeLong(v.getWindowStart().toEpochMilli());
    writeLong(v.getWindowEnd().toEpochMilli());
    writeString(v.getFeatureSetId());
    writeString(v.getFeatureSetVersion());
    if (!names.isEmpty()) {
      writeLong(names.size());
      for (String n : names) {
        writeString(n);
      }
    }
    writeLong(0);
    if (values.length > 0) {
      writeLong(values.length);
      ensure(8 * values.length + 2 * 10);
      byte[] b = buf;
      int p = pos;
      for (double d : values) {
        // Avro writes a double as the little-endian bytes of doubleToRawLongBits
        LITTLE_ENDIAN_LONG.set(b, p, Double.doubleToRawLongBits(d));
        p += 8;
      }
      pos = p;
    }
    writeLong(0);
    writeLong(v.getSequence());
    return Arrays.copyOf(buf, pos);
  }

  /** Avro string: zig-zag varint byte length, then UTF-8. */
  private void writeString(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    ensure(10 + utf8.length);
    writeLong(utf8.length);
    System.arraycopy(utf8, 0, buf, pos, utf8.length);
    pos += utf8.length;
  }

  /** Avro long (and int): zig-zag, then base-128 varint, low groups first. */
  private void writeLong(long n) {
    ensure(10);
    long z = (n << 1) ^ (n >> 63);
    while ((z & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((z & 0x7F) | 0x80);
      z >>>= 7;
    }
    buf[pos++] = (byte) z;
  }

  private void ensure(int more) {
    if (pos + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(2 * buf.length, pos + more));
    }
  }
}
