package io.vigil.schemas.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Writes Avro's binary encoding by hand into a growable byte array, for the few writers on a hot
 * path that produce the same bytes as {@link AvroSerde} without Avro's generic datum writer (a
 * synchronized stream call per value, a boxed value per number, a UTF-8 conversion per string).
 * Each such writer states the layout of the schema it writes ({@link #layout}); the constructor
 * checks it against the current generated schema, so a schema change cannot silently produce other
 * bytes — the writer fails until it is updated. Not thread-safe; one instance per serializer.
 */
public final class AvroBinaryWriter {

  /** Eight bytes at any offset of a byte array, as one little-endian long. */
  private static final VarHandle LITTLE_ENDIAN_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final byte[] header;
  private byte[] buf = new byte[4096];
  private int pos;

  /**
   * @param layout what the caller writes, as {@link #layout(Schema)} describes it
   * @throws IllegalStateException if the schema's layout is not {@code layout}
   */
  public AvroBinaryWriter(Schema schema, List<String> layout, String writer) {
    List<String> actual = layout(schema);
    if (!actual.equals(layout)) {
      throw new IllegalStateException("the " + schema.getName() + " schema changed (" + actual + "); "
          + writer + " writes " + layout + " and must be updated with it");
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

  /**
   * The record's fields in order as {@code name:TYPE}, where a type is its Avro type name, {@code
   * ARRAY<T>}, {@code UNION<T,U>} or, for a nested record, {@code Name{field:TYPE,...}}.
   */
  public static List<String> layout(Schema record) {
    List<String> out = new ArrayList<>();
    for (Schema.Field f : record.getFields()) {
      out.add(f.name() + ":" + describe(f.schema()));
    }
    return out;
  }

  private static String describe(Schema t) {
    switch (t.getType()) {
      case ARRAY:
        return "ARRAY<" + describe(t.getElementType()) + ">";
      case UNION: {
        StringJoiner j = new StringJoiner(",", "UNION<", ">");
        t.getTypes().forEach(u -> j.add(describe(u)));
        return j.toString();
      }
      case RECORD:
        return t.getName() + "{" + String.join(",", layout(t)) + "}";
      default:
        return t.getType().toString();
    }
  }

  /** Starts a single-object encoded record: the marker and the schema's fingerprint. */
  public void startMessage() {
    pos = 0;
    ensure(header.length);
    System.arraycopy(header, 0, buf, 0, header.length);
    pos = header.length;
  }

  /** Starts a bare body (no header), as records stand in Avro container files. */
  public void startBody() {
    pos = 0;
  }

  /** What has been written since the start, in a new array. */
  public byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  /** Avro long (and int): zig-zag, then base-128 varint, low groups first. */
  public void writeLong(long n) {
    ensure(10);
    long z = (n << 1) ^ (n >> 63);
    while ((z & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((z & 0x7F) | 0x80);
      z >>>= 7;
    }
    buf[pos++] = (byte) z;
  }

  /** Avro double: the little-endian bytes of {@code doubleToRawLongBits}. */
  public void writeDouble(double d) {
    ensure(8);
    LITTLE_ENDIAN_LONG.set(buf, pos, Double.doubleToRawLongBits(d));
    pos += 8;
  }

  /** Many doubles back to back (the items of an array block). */
  public void writeDoubles(double[] values) {
    ensure(8 * values.length);
    byte[] b = buf;
    int p = pos;
    for (double d : values) {
      LITTLE_ENDIAN_LONG.set(b, p, Double.doubleToRawLongBits(d));
      p += 8;
    }
    pos = p;
  }

  public void writeBoolean(boolean b) {
    ensure(1);
    buf[pos++] = (byte) (b ? 1 : 0);
  }

  /** Avro string: zig-zag varint byte length, then UTF-8. */
  public void writeString(String s) {
    writeUtf8(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A string already in UTF-8 (for strings a writer repeats in every record). */
  public void writeUtf8(byte[] utf8) {
    ensure(10 + utf8.length);
    writeLong(utf8.length);
    System.arraycopy(utf8, 0, buf, pos, utf8.length);
    pos += utf8.length;
  }

  private void ensure(int more) {
    if (pos + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(2 * buf.length, pos + more));
    }
  }
}
