package io.vigil.drift.requests;

import io.vigil.selection.ScoreLevel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink state serializer of an entity's {@link ScoreLevel}. The level is the {@code selection}
 * module's own class (the one {@code vigil eval} uses, so that the stream computes exactly the same
 * level), which keeps its ring and counters private and has no no-argument constructor: not a Flink
 * POJO, and Kryo would be Flink's generic fallback. So it is written with Java serialization (it is
 * {@code Serializable}, {@code serialVersionUID} 1), length-prefixed, and read back through a filter
 * that admits only a {@code ScoreLevel} and its {@code double[]} ring. Size ≈ 8 bytes × capacity (the
 * whole ring, also during warm-up) + ~150 bytes. Format version 1.
 */
public final class ScoreLevelSerializer extends TypeSerializer<ScoreLevel> {

  private static final long serialVersionUID = 1L;

  /** Only what a ScoreLevel is made of may be read from a checkpoint. */
  private static final ObjectInputFilter ONLY_SCORE_LEVEL = info -> {
    Class<?> c = info.serialClass();
    if (c == null) {
      return ObjectInputFilter.Status.UNDECIDED;
    }
    return c == ScoreLevel.class || c == double[].class
        ? ObjectInputFilter.Status.ALLOWED : ObjectInputFilter.Status.REJECTED;
  };

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<ScoreLevel> duplicate() {
    return this; // stateless
  }

  @Override
  public ScoreLevel createInstance() {
    return ScoreLevel.forEvaluation();
  }

  /** A deep copy (the level is changed in place by {@code add}). */
  @Override
  public ScoreLevel copy(ScoreLevel from) {
    return fromBytes(toBytes(from));
  }

  @Override
  public ScoreLevel copy(ScoreLevel from, ScoreLevel reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(ScoreLevel level, DataOutputView out) throws IOException {
    byte[] b = toBytes(level);
    out.writeInt(b.length);
    out.write(b);
  }

  @Override
  public ScoreLevel deserialize(DataInputView in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return fromBytes(b);
  }

  @Override
  public ScoreLevel deserialize(ScoreLevel reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    // through an array: write(DataInputView, n) does not grow every output view's buffer
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    out.writeInt(b.length);
    out.write(b);
  }

  @Override
  public boolean equals(Object o) {
    return o != null && o.getClass() == getClass();
  }

  @Override
  public int hashCode() {
    return getClass().hashCode();
  }

  @Override
  public TypeSerializerSnapshot<ScoreLevel> snapshotConfiguration() {
    return new Snapshot();
  }

  private static byte[] toBytes(ScoreLevel level) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(level);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a score level", e);
    }
    return bytes.toByteArray();
  }

  private static ScoreLevel fromBytes(byte[] b) {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
      in.setObjectInputFilter(ONLY_SCORE_LEVEL);
      return (ScoreLevel) in.readObject();
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("unreadable score level in state", e);
    }
  }

  /** Format version 1 of the serializer (no configuration). */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<ScoreLevel> {
    public Snapshot() {
      super(ScoreLevelSerializer::new);
    }
  }
}
