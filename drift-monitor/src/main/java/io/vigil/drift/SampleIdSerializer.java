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
 * The key serializer of {@link SampleJoin}: a sample id as a varint length and its UTF-8 bytes, in
 * one write. The heap backend writes every key of the join's state twice on every checkpoint (the
 * state entry and its timer), and Flink's {@code StringSerializer} writes a string char by char —
 * one call into the checkpoint stream per character, the largest single item of the checkpoints in
 * {@code vigil bench drift}. Keys are never null. Format version 1.
 */
public final class SampleIdSerializer extends CompactSerializer<String> {
  private static final long serialVersionUID = 1L;

  /** The key type of the join's {@code keyBy}. */
  public static final TypeInformation<String> TYPE =
      new CompactTypeInfo<>(String.class, true, "SampleId(String, compact)", SampleIdSerializer::new);

  private transient byte[] scratch;

  @Override
  public boolean isImmutableType() {
    return true;
  }

  @Override
  public TypeSerializer<String> duplicate() {
    return new SampleIdSerializer(); // the scratch buffer is per instance
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
        throw new IOException("bad sample id length");
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
      super(SampleIdSerializer::new);
    }
  }
}
