package io.vigil.drift;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * What {@link FastVectorReader} and {@link FastPredictionReader} share: the single-object header
 * check against the <em>current</em> schema's fingerprint, the schema layout check (a reader walks
 * the fields it was written for, so a schema change it does not know turns it off and the general
 * {@code AvroSerde} path reads everything), and the Avro binary primitives over one byte array.
 * A subclass reads between {@link #begin} and {@link #end}; anything malformed throws and is handed
 * back to the general path, which reads or refuses it exactly as before. Not thread-safe.
 */
abstract class FastAvroReader {

  private static final byte MARKER_0 = (byte) 0xC3;
  private static final byte MARKER_1 = (byte) 0x01;
  static final int HEADER = 10;
  static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

  private final long fingerprint;
  private final boolean usable;
  byte[] b;
  int pos;

  FastAvroReader(Schema schema, List<String> expectedLayout) {
    this.fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    this.usable = layout(schema).equals(expectedLayout);
  }

  /** Field by field, {@code name:TYPE}, with array items, map values and union branches. */
  static List<String> layout(Schema s) {
    return s.getFields().stream().map(f -> f.name() + ":" + type(f.schema())).toList();
  }

  private static String type(Schema s) {
    return switch (s.getType()) {
      case ARRAY -> "ARRAY:" + type(s.getElementType());
      case MAP -> "MAP:" + type(s.getValueType());
      case UNION -> "UNION:" + s.getTypes().stream().map(FastAvroReader::type).collect(Collectors.joining(","));
      default -> s.getType().name();
    };
  }

  /** Whether {@code value} is written with the current schema (then reading starts after the header). */
  final boolean begin(byte[] value) {
    if (!usable || value.length < HEADER || value[0] != MARKER_0 || value[1] != MARKER_1
        || littleEndianLong(value, 2) != fingerprint) {
      return false;
    }
    b = value;
    pos = HEADER;
    return true;
  }

  /** Whether the body ended where the schema says; releases the bytes. */
  final boolean end() {
    boolean exact = b != null && pos == b.length;
    b = null;
    return exact;
  }

  /** Avro long/int: zig-zag varint, at most 10 bytes. */
  final long readLong() {
    long raw = 0;
    int shift = 0;
    while (true) {
      if (shift > 63) {
        throw new IllegalArgumentException("varint too long");
      }
      int x = b[pos++];
      raw |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        break;
      }
      shift += 7;
    }
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** An array or map block's item count; a negative count is followed by the block's size in bytes. */
  final long readBlockCount() {
    long c = readLong();
    if (c < 0) {
      readLong();
      c = -c;
    }
    return c;
  }

  final double readDouble() {
    if (pos + 8 > b.length) {
      throw new IllegalArgumentException("truncated double");
    }
    double v = (double) DOUBLE.get(b, pos);
    pos += 8;
    return v;
  }

  final boolean readBoolean() {
    int x = b[pos++];
    if (x != 0 && x != 1) {
      throw new IllegalArgumentException("bad boolean " + x);
    }
    return x == 1;
  }

  /** The union branch index, checked against the number of branches. */
  final int readBranch(int branches) {
    long i = readLong();
    if (i < 0 || i >= branches) {
      throw new IllegalArgumentException("bad union branch " + i);
    }
    return (int) i;
  }

  private int stringLength() {
    long len = readLong();
    if (len < 0 || pos + len > b.length) {
      throw new IllegalArgumentException("bad string length " + len);
    }
    return (int) len;
  }

  final String readString() {
    int len = stringLength();
    String s = new String(b, pos, len, StandardCharsets.UTF_8);
    pos += len;
    return s;
  }

  final void skipString() {
    int len = stringLength(); // not "pos += stringLength()": that adds to pos as it was before the length
    pos += len;
  }

  /**
   * A string that usually repeats (a model name, a version): when its bytes equal the last ones read
   * into {@code cache}, the same String comes back without decoding or allocating.
   */
  final String readString(Repeated cache) {
    int len = stringLength();
    if (cache.value == null || cache.bytes.length != len
        || !Arrays.equals(cache.bytes, 0, len, b, pos, pos + len)) {
      cache.bytes = Arrays.copyOfRange(b, pos, pos + len);
      cache.value = new String(cache.bytes, StandardCharsets.UTF_8);
    }
    pos += len;
    return cache.value;
  }

  /** The last value of a repeating string field. */
  static final class Repeated {
    private byte[] bytes;
    private String value;
  }

  private static long littleEndianLong(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xFFL);
    }
    return v;
  }
}
