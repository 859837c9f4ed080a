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
 * JoinStateSerializer}, {@link WindowAccumulatorSerializer}). Flink's generic serializers write an
 * array element by element and a string char by char, which on a checkpoint stream means one call
 * per element; these fill a scratch buffer and write it in one call. Strings are length-prefixed
 * UTF-8, arrays length-prefixed (-1 = null), numbers big-endian like {@code DataOutput}. The
 * scratch buffer belongs to one serializer instance (one thread).
 */
final class CompactIO {

  private static final VarHandle DOUBLES = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);
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
}
