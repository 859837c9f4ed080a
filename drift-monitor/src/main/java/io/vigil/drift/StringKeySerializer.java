package io.vigil.drift;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A key serializer for strings (the entity key of {@link EntityJoin}): a varint length and the
 * UTF-8 bytes, in one write. The heap backend writes every key of a keyed state (and of its timers)
 * on every checkpoint, and Flink's {@code StringSerializer} writes a string char by char — one call
 * into the checkpoint stream per character. Keys are never null. Format version 1.
 */
public final class StringKeySerializer extends CompactSerializer<String> {
  private static final long serialVersionUID = 1L;

  /** The key type of the join's {@code keyBy}. */
  public static final TypeInformation<String> TYPE =
      new CompactTypeInfo<>(String.class, true, "StringKey(String, compact)", StringKeySerializer::new);

  private transient byte[] scratch;

  @Override
  public boolean isImmutableType() {
    return true;
  }

  @Override
  public TypeSerializer<String> duplicate() {
    return new StringKeySerializer(); // the scratch buffer is per instance
  }

  @Override
  public String createInstance() {
    return "";
  }

  @Override
  public String copy(String from) {
    return from;
  }

  @Override
  public void serialize(String id, DataOutputView out) throws IOException {
    byte[] b = id.getBytes(StandardCharsets.UTF_8);
    if (scratch == null || scratch.length < b.length + 5) {
      scratch = new byte[Math.max(64, b.length + 5)];
    }
    int n = 0;
    int len = b.length;
    while ((len & ~0x7F) != 0) {
      scratch[n++] = (byte) ((len & 0x7F) | 0x80);
      len >>>= 7;
    }
    scratch[n++] = (byte) len;
    System.arraycopy(b, 0, scratch, n, b.length);
    out.write(scratch, 0, n + b.length);
  }

  @Override
  public String deserialize(DataInputView in) throws IOException {
    int len = 0;
    for (int shift = 0; ; shift += 7) {
      if (shift > 28) {
        throw new IOException("bad key length");
      }
      int x = in.readByte();
      len |= (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        break;
      }
    }
    byte[] b = new byte[len];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  @Override
  public TypeSerializerSnapshot<String> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Format version 1 of the serializer (no configuration). */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<String> {
    public Snapshot() {
      super(StringKeySerializer::new);
    }
  }
}
