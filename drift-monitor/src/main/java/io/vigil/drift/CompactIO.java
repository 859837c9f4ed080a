package io.vigil.drift;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Bulk reads and writes of the arrays and strings in the drift job's state serializers ({@link
 * EntityJoinStateSerializer}, {@link WindowAccumulatorSerializer}). Flink's generic serializers write an
 * array element by element and a string char by char, which on a checkpoint stream means one call
 * per element; these fill a scratch buffer and write it in one call. Strings are length-prefixed
 * UTF-8, arrays length-prefixed (-1 = null), numbers big-endian like {@code DataOutput}. The
 * scratch buffer belongs to one serializer instance (one thread).
 */
final class CompactIO {

  private static final VarHandle DOUBLES = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle FLOATS = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final int CHUNK = 8 * 1024;

  private final byte[] buf = new byte[CHUNK];

  void writeString(String s, DataOutputView out) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  String readString(DataInputView in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    byte[] b = n <= buf.length ? buf : new byte[n];
    in.readFully(b, 0, n);
    return new String(b, 0, n, StandardCharsets.UTF_8);
  }

  void writeDoubles(double[] a, DataOutputView out) throws IOException {
    if (a == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(a.length);
    for (int from = 0; from < a.length; from += CHUNK / 8) {
      int n = Math.min(CHUNK / 8, a.length - from);
      for (int i = 0; i < n; i++) {
        DOUBLES.set(buf, 8 * i, a[from + i]);
      }
      out.write(buf, 0, 8 * n);
    }
  }

  void writeFloats(float[] a, DataOutputView out) throws IOException {
    if (a == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(a.length);
    for (int from = 0; from < a.length; from += CHUNK / 4) {
      int n = Math.min(CHUNK / 4, a.length - from);
      for (int i = 0; i < n; i++) {
        FLOATS.set(buf, 4 * i, a[from + i]);
      }
      out.write(buf, 0, 4 * n);
    }
  }

  float[] readFloats(DataInputView in) throws IOException {
    int len = in.readInt();
    if (len < 0) {
      return null;
    }
    float[] a = new float[len];
    for (int from = 0; from < len; from += CHUNK / 4) {
      int n = Math.min(CHUNK / 4, len - from);
      in.readFully(buf, 0, 4 * n);
      for (int i = 0; i < n; i++) {
        a[from + i] = (float) FLOATS.get(buf, 4 * i);
      }
    }
    return a;
  }

  /** Doubles written by {@link #writeDoubles}, narrowed to floats (state of an earlier format). */
  float[] readDoublesAsFloats(DataInputView in) throws IOException {
    double[] d = readDoubles(in);
    return d == null ? null : FeatureValues.narrow(d);
  }

  double[] readDoubles(DataInputView in) throws IOException {
    int len = in.readInt();
    if (len < 0) {
      return null;
    }
    double[] a = new double[len];
    for (int from = 0; from < len; from += CHUNK / 8) {
      int n = Math.min(CHUNK / 8, len - from);
      in.readFully(buf, 0, 8 * n);
      for (int i = 0; i < n; i++) {
        a[from + i] = (double) DOUBLES.get(buf, 8 * i);
      }
    }
    return a;
  }

  void writeLongs(long[] a, DataOutputView out) throws IOException {
    if (a == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(a.length);
    for (int from = 0; from < a.length; from += CHUNK / 8) {
      int n = Math.min(CHUNK / 8, a.length - from);
      for (int i = 0; i < n; i++) {
        LONGS.set(buf, 8 * i, a[from + i]);
      }
      out.write(buf, 0, 8 * n);
    }
  }

  long[] readLongs(DataInputView in) throws IOException {
    int len = in.readInt();
    if (len < 0) {
      return null;
    }
    long[] a = new long[len];
    for (int from = 0; from < len; from += CHUNK / 8) {
      int n = Math.min(CHUNK / 8, len - from);
      in.readFully(buf, 0, 8 * n);
      for (int i = 0; i < n; i++) {
        a[from + i] = (long) LONGS.get(buf, 8 * i);
      }
    }
    return a;
  }

  /**
   * A mostly-zero array: its length, the number of non-zero entries, then each as the gap to the
   * previous one and the value, both as unsigned varints (values must not be negative; counts).
   */
  void writeSparseCounts(long[] a, DataOutputView out) throws IOException {
    if (a == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(a.length);
    out.writeInt(nonZero(a));
    int p = 0;
    int last = -1;
    for (int i = 0; i < a.length; i++) {
      if (a[i] != 0) {
        if (a[i] < 0) {
          throw new IllegalArgumentException("a negative count at " + i + ": " + a[i]);
        }
        if (p > buf.length - 20) {
          out.write(buf, 0, p);
          p = 0;
        }
        p = varint(buf, p, i - last - 1);
        p = varint(buf, p, a[i]);
        last = i;
      }
    }
    out.write(buf, 0, p);
  }

  long[] readSparseCounts(DataInputView in) throws IOException {
    int len = in.readInt();
    if (len < 0) {
      return null;
    }
    int nz = in.readInt();
    long[] a = new long[len];
    int i = -1;
    for (int k = 0; k < nz; k++) {
      i += (int) readVarint(in) + 1;
      a[i] = readVarint(in);
    }
    return a;
  }

  /** A mostly-zero array of doubles: length, non-zero entries, then each as a varint gap and 8 bytes. */
  void writeSparseDoubles(double[] a, DataOutputView out) throws IOException {
    if (a == null) {
      out.writeInt(-1);
      return;
    }
    int nz = 0;
    for (double v : a) {
      nz += v != 0 ? 1 : 0;
    }
    out.writeInt(a.length);
    out.writeInt(nz);
    int p = 0;
    int last = -1;
    for (int i = 0; i < a.length; i++) {
      if (a[i] != 0) {
        if (p > buf.length - 20) {
          out.write(buf, 0, p);
          p = 0;
        }
        p = varint(buf, p, i - last - 1);
        DOUBLES.set(buf, p, a[i]);
        p += 8;
        last = i;
      }
    }
    out.write(buf, 0, p);
  }

  double[] readSparseDoubles(DataInputView in) throws IOException {
    int len = in.readInt();
    if (len < 0) {
      return null;
    }
    int nz = in.readInt();
    double[] a = new double[len];
    int i = -1;
    for (int k = 0; k < nz; k++) {
      i += (int) readVarint(in) + 1;
      a[i] = in.readDouble();
    }
    return a;
  }

  private static int nonZero(long[] a) {
    int n = 0;
    for (long v : a) {
      n += v != 0 ? 1 : 0;
    }
    return n;
  }

  private static int varint(byte[] b, int p, long v) {
    while ((v & ~0x7FL) != 0) {
      b[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[p++] = (byte) v;
    return p;
  }

  private static long readVarint(DataInputView in) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.readByte();
      v |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return v;
      }
    }
    throw new IOException("a malformed varint");
  }
}
