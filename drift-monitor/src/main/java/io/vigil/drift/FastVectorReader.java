package io.vigil.drift;

import io.vigil.schemas.FeatureVector;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Reads a single-object-encoded {@link FeatureVector} written with the <em>current</em> schema
 * straight into a {@link DriftInput}: the values land in a {@code double[]} without a {@code
 * List<Double>} of boxed values in between (the generic Avro path allocates one {@code Double} per
 * feature). Anything else — another writer schema (an older release, resolved by {@code AvroSerde}),
 * a bad header, a body that does not end where the schema says — returns null, and the caller takes
 * the general {@code AvroSerde} path, which reads or refuses it exactly as before. Not thread-safe.
 */
final class FastVectorReader {

  private static final byte MARKER_0 = (byte) 0xC3;
  private static final byte MARKER_1 = (byte) 0x01;
  private static final int HEADER = 10;
  /** The current FeatureVector schema, field by field, as this reader walks it. */
  private static final List<String> LAYOUT = List.of("sampleId:STRING", "entity:STRING", "windowStart:LONG",
      "windowEnd:LONG", "featureSetId:STRING", "featureSetVersion:STRING", "names:ARRAY:STRING",
      "values:ARRAY:DOUBLE", "sequence:LONG");

  private final long fingerprint;
  private final boolean usable;
  private static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
  private byte[] b;
  private int pos;
  private double[] buffer = new double[512];

  FastVectorReader() {
    Schema s = FeatureVector.getClassSchema();
    this.fingerprint = SchemaNormalization.parsingFingerprint64(s);
    this.usable = layout(s).equals(LAYOUT);
  }

  static List<String> layout(Schema s) {
    return s.getFields().stream().map(f -> f.name() + ":" + f.schema().getType()
        + (f.schema().getType() == Schema.Type.ARRAY ? ":" + f.schema().getElementType().getType() : "")).toList();
  }

  /** The vector as a {@code FEATURES} input, or null when the general path must read it. */
  DriftInput read(byte[] value) {
    if (!usable || value.length < HEADER || value[0] != MARKER_0 || value[1] != MARKER_1
        || littleEndianLong(value, 2) != fingerprint) {
      return null;
    }
    try {
      b = value;
      pos = HEADER;
      DriftInput d = new DriftInput();
      d.kind = DriftInput.Kind.FEATURES;
      d.sampleId = readString();
      d.entity = readString();
      readLong(); // windowStart
      d.time = readLong(); // windowEnd
      readString(); // featureSetId
      d.featureSetVersion = readString();
      String[] names = new String[0];
      int n = 0;
      for (long block = readBlockCount(); block != 0; block = readBlockCount()) {
        for (long i = 0; i < block; i++) {
          if (n == names.length) {
            names = Arrays.copyOf(names, Math.max(16, n * 2));
          }
          names[n++] = readString();
        }
      }
      d.names = n == 0 ? null : n == names.length ? names : Arrays.copyOf(names, n);
      int m = 0;
      for (long block = readBlockCount(); block != 0; block = readBlockCount()) {
        if (block < 0 || pos + 8 * block > b.length) {
          return null;
        }
        int k = (int) block;
        if (m + k > buffer.length) {
          buffer = Arrays.copyOf(buffer, Math.max(m + k, buffer.length * 2));
        }
        for (int i = 0; i < k; i++) {
          buffer[m++] = (double) DOUBLE.get(b, pos);
          pos += 8;
        }
      }
      d.values = Arrays.copyOf(buffer, m);
      readLong(); // sequence
      return pos == b.length ? d : null;
    } catch (RuntimeException e) {
      return null; // the general path reads it again and says what is wrong
    } finally {
      b = null;
    }
  }

  /** Avro long: zig-zag varint, at most 10 bytes. */
  private long readLong() {
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

  /** An array block's item count; a negative count is followed by the block's size in bytes. */
  private long readBlockCount() {
    long c = readLong();
    if (c < 0) {
      readLong();
      c = -c;
    }
    return c;
  }

  private String readString() {
    long len = readLong();
    if (len < 0 || pos + len > b.length) {
      throw new IllegalArgumentException("bad string length " + len);
    }
    String s = new String(b, pos, (int) len, StandardCharsets.UTF_8);
    pos += (int) len;
    return s;
  }

  private static long littleEndianLong(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xFFL);
    }
    return v;
  }
}
