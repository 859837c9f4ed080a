package io.vigil.drift.requests;

import io.vigil.drift.CompactSerializer;
import io.vigil.selection.ScoreLevel;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink state serializer of an entity's {@link ScoreLevel}. The level is the {@code selection}
 * module's own class (the one {@code vigil eval} uses, so that the stream computes exactly the same
 * level); it keeps its ring private and has no no-argument constructor, so it is not a Flink POJO,
 * and Kryo would be Flink's generic fallback. Written field by field from its public state
 * ({@link ScoreLevel#scores()}, {@link ScoreLevel#restore}): quantile, capacity, every, warm-up,
 * count, level, then only the filled part of the ring (a level in warm-up is small). Size ≈ 8 bytes ×
 * min(count, capacity) + 36 bytes. Format version 1.
 */
public final class ScoreLevelSerializer extends CompactSerializer<ScoreLevel> {

  private static final long serialVersionUID = 1L;

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<ScoreLevel> duplicate() {
    return new ScoreLevelSerializer();
  }

  @Override
  public ScoreLevel createInstance() {
    return ScoreLevel.forEvaluation();
  }

  /** A deep copy (the level is changed in place by {@code add}). */
  @Override
  public ScoreLevel copy(ScoreLevel from) {
    return ScoreLevel.restore(from.quantile(), from.capacity(), from.every(), from.warmUp(), from.scores(),
        from.count(), from.level());
  }

  @Override
  public void serialize(ScoreLevel level, DataOutputView out) throws IOException {
    out.writeDouble(level.quantile());
    out.writeInt(level.capacity());
    out.writeInt(level.every());
    out.writeInt(level.warmUp());
    out.writeLong(level.count());
    out.writeDouble(level.level());
    double[] scores = level.scores();
    for (double d : scores) {
      out.writeDouble(d);
    }
  }

  @Override
  public ScoreLevel deserialize(DataInputView in) throws IOException {
    double quantile = in.readDouble();
    int capacity = in.readInt();
    int every = in.readInt();
    int warmUp = in.readInt();
    long count = in.readLong();
    double level = in.readDouble();
    if (capacity < 1 || count < 0) {
      throw new IOException("unreadable score level in state: capacity " + capacity + ", count " + count);
    }
    double[] scores = new double[(int) Math.min(count, capacity)];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = in.readDouble();
    }
    return ScoreLevel.restore(quantile, capacity, every, warmUp, scores, count, level);
  }

  @Override
  public TypeSerializerSnapshot<ScoreLevel> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Format version 1 of the serializer (no configuration). */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<ScoreLevel> {
    public Snapshot() {
      super(ScoreLevelSerializer::new);
    }
  }
}
