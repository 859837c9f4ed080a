package io.vigil.drift;

import java.io.IOException;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The state serializer of {@link EntityJoin}'s {@link EntityJoinState}: the timer, the number of
 * waiting samples, then per sample its id, a flags byte, the event time, the vector's strings and
 * values in bulk ({@link CompactIO}) and the waiting predictions, each sample assembled in a buffer
 * and written to the stream in one call. The join's state is as large as the event time the
 * watermark trails the inputs by (in a catch-up, hours of samples, each with its 307 values), and
 * the heap backend serializes all of it on every checkpoint: Flink's POJO serializer wrote it value
 * by value and took about a sixth of the job's CPU in {@code vigil bench drift}.
 *
 * <p>Format version 2 writes the values as floats ({@link FeatureValues}); version 1 wrote doubles.
 * State written in format 1 is migrated on restore: {@link Snapshot} restores a format-1 reader
 * (doubles read and narrowed) and tells Flink the state is compatible after migration, so the heap
 * backend reads it with that and writes format 2 from then on.
 */
public final class EntityJoinStateSerializer extends CompactSerializer<EntityJoinState> {
  private static final long serialVersionUID = 1L;

  private static final int HAS_VECTOR = 1;
  private static final int MATCHED = 2;
  private static final int PENDING = 4;

  /** The format this instance reads and writes: {@link #FORMAT} or 1 (doubles). */
  static final int FORMAT = 2;

  private final int format;

  /** One waiting sample is assembled here and written to the (checkpoint) stream in one call. */
  private transient DataOutputSerializer buffer;

  public EntityJoinStateSerializer() {
    this(FORMAT);
  }

  EntityJoinStateSerializer(int format) {
    if (format != 1 && format != FORMAT) {
      throw new IllegalArgumentException("entity join state format " + format + " is unknown");
    }
    this.format = format;
  }

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<EntityJoinState> duplicate() {
    return new EntityJoinStateSerializer(format); // the scratch buffer is per instance
  }

  @Override
  public EntityJoinState createInstance() {
    return new EntityJoinState();
  }

  /**
   * A copy for the heap backend's copy-on-write (the entity's state read while a snapshot is being
   * written): a new map of new entries, sharing the entries' arrays and pending predictions, which
   * {@link EntityJoin} never changes in place — a read does not copy 307 values per sample.
   */
  @Override
  public EntityJoinState copy(EntityJoinState from) {
    EntityJoinState s = new EntityJoinState(from.samples.size());
    s.timer = from.timer;
    for (Map.Entry<String, JoinState> e : from.samples.entrySet()) {
      s.samples.put(e.getKey(), copy(e.getValue()));
    }
    return s;
  }

  static JoinState copy(JoinState from) {
    JoinState s = new JoinState();
    s.hasVector = from.hasVector;
    s.matched = from.matched;
    s.time = from.time;
    s.entity = from.entity;
    s.featureSetVersion = from.featureSetVersion;
    s.names = from.names;
    s.values = from.values;
    s.pending = from.pending;
    return s;
  }

  @Override
  public void serialize(EntityJoinState state, DataOutputView target) throws IOException {
    target.writeLong(state.timer);
    target.writeInt(state.samples.size());
    CompactIO io = io();
    if (buffer == null) {
      buffer = new DataOutputSerializer(4096);
    }
    DataOutputSerializer out = buffer;
    for (Map.Entry<String, JoinState> e : state.samples.entrySet()) {
      out.clear();
      io.writeString(e.getKey(), out);
      write(e.getValue(), io, out, format);
      target.write(out.getSharedBuffer(), 0, out.length());
    }
  }

  private static void write(JoinState s, CompactIO io, DataOutputSerializer out, int format) throws IOException {
    out.writeByte((s.hasVector ? HAS_VECTOR : 0) | (s.matched ? MATCHED : 0) | (s.pending != null ? PENDING : 0));
    out.writeLong(s.time);
    io.writeString(s.entity, out);
    io.writeString(s.featureSetVersion, out);
    if (s.names == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(s.names.length);
      for (String n : s.names) {
        io.writeString(n, out);
      }
    }
    if (format == 1) {
      double[] d = null;
      if (s.values != null) {
        d = new double[s.values.length];
        for (int i = 0; i < d.length; i++) {
          d[i] = s.values[i];
        }
      }
      io.writeDoubles(d, out);
    } else {
      io.writeFloats(s.values, out);
    }
    if (s.pending != null) {
      out.writeInt(s.pending.length);
      for (JoinState.PendingPrediction p : s.pending) {
        out.writeLong(p.time);
        io.writeString(p.modelName, out);
        io.writeString(p.modelVersion, out);
        out.writeDouble(p.score);
        out.writeDouble(p.probability);
        out.writeBoolean(p.anomaly);
      }
    }
  }

  @Override
  public EntityJoinState deserialize(DataInputView in) throws IOException {
    CompactIO io = io();
    long timer = in.readLong();
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("bad entity join state: " + n + " samples");
    }
    EntityJoinState state = new EntityJoinState(n);
    state.timer = timer;
    for (int i = 0; i < n; i++) {
      String id = io.readString(in);
      state.samples.put(id, read(io, in, format));
    }
    return state;
  }

  private static JoinState read(CompactIO io, DataInputView in, int format) throws IOException {
    JoinState s = new JoinState();
    int flags = in.readByte();
    s.hasVector = (flags & HAS_VECTOR) != 0;
    s.matched = (flags & MATCHED) != 0;
    s.time = in.readLong();
    s.entity = io.readString(in);
    s.featureSetVersion = io.readString(in);
    int names = in.readInt();
    if (names >= 0) {
      s.names = new String[names];
      for (int i = 0; i < names; i++) {
        s.names[i] = io.readString(in);
      }
    }
    s.values = format == 1 ? io.readDoublesAsFloats(in) : io.readFloats(in);
    if ((flags & PENDING) != 0) {
      s.pending = new JoinState.PendingPrediction[in.readInt()];
      for (int i = 0; i < s.pending.length; i++) {
        JoinState.PendingPrediction p = new JoinState.PendingPrediction();
        p.time = in.readLong();
        p.modelName = io.readString(in);
        p.modelVersion = io.readString(in);
        p.score = in.readDouble();
        p.probability = in.readDouble();
        p.anomaly = in.readBoolean();
        s.pending[i] = p;
      }
    }
    return s;
  }

  @Override
  public TypeSerializerSnapshot<EntityJoinState> snapshotConfiguration() {
    return new Snapshot();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EntityJoinStateSerializer other && other.format == format;
  }

  @Override
  public int hashCode() {
    return EntityJoinStateSerializer.class.hashCode() * 31 + format;
  }

  /**
   * The serializer's snapshot, versioned by format: {@link SimpleTypeSerializerSnapshot}'s own
   * version 3 is format 1 (doubles), version {@link #FLOATS} format 2. A format-1 snapshot restores a
   * format-1 reader and is compatible after migration.
   */
  public static final class Snapshot extends FormatVersionedSnapshot<EntityJoinState> {
    /** Snapshot version of format 2. */
    static final int FLOATS = 4;

    public Snapshot() {
      super(EntityJoinStateSerializer::new, FLOATS);
    }

    @Override
    public TypeSerializer<EntityJoinState> restoreSerializer() {
      return new EntityJoinStateSerializer(older() ? 1 : FORMAT);
    }

    @Override
    public TypeSerializerSchemaCompatibility<EntityJoinState> resolveSchemaCompatibility(
        TypeSerializerSnapshot<EntityJoinState> old) {
      if (old instanceof Snapshot s && s.older()) {
        return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
      }
      return super.resolveSchemaCompatibility(old);
    }
  }
}
