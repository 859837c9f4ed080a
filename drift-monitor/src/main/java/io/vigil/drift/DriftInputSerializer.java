package io.vigil.drift;

import io.vigil.streamio.RecordHeaders;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The serializer of {@link DriftInput} on the network edges of the drift job (every vector and
 * prediction crosses one, from its source to the join): the kind, the scalars, then the strings and
 * arrays, the 307 values in bulk ({@link CompactIO}). Flink's POJO serializer wrote the values one by
 * one and the strings char by char, through reflective field access, on both sides of the edge.
 * Chosen for the class by {@link Factory} ({@code @TypeInfo} on {@link DriftInput}), so every stream
 * of {@code DriftInput} uses it. Format version 4 (2: the values as floats; 3: label event ids; 4: a refused record's headers); the serializer is used only on
 * network edges, never for state.
 */
public final class DriftInputSerializer extends CompactSerializer<DriftInput> {
  private static final long serialVersionUID = 1L;

  private static final DriftInput.Kind[] KINDS = DriftInput.Kind.values();

  public static final TypeInformation<DriftInput> TYPE =
      new CompactTypeInfo<>(DriftInput.class, false, "DriftInput(compact)", DriftInputSerializer::new);

  /** Gives {@link DriftInput} this serializer wherever Flink derives its type. */
  public static final class Factory extends TypeInfoFactory<DriftInput> {
    @Override
    public TypeInformation<DriftInput> createTypeInfo(Type t, Map<String, TypeInformation<?>> genericParameters) {
      return TYPE;
    }
  }

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<DriftInput> duplicate() {
    return new DriftInputSerializer(); // the scratch buffer is per instance
  }

  @Override
  public DriftInput createInstance() {
    return new DriftInput();
  }

  /** A copy that shares the arrays: nothing changes a record's arrays in place once it is emitted. */
  @Override
  public DriftInput copy(DriftInput from) {
    DriftInput d = new DriftInput();
    d.kind = from.kind;
    d.sampleId = from.sampleId;
    d.entity = from.entity;
    d.time = from.time;
    d.featureSetVersion = from.featureSetVersion;
    d.names = from.names;
    d.values = from.values;
    d.modelName = from.modelName;
    d.modelVersion = from.modelVersion;
    d.score = from.score;
    d.probability = from.probability;
    d.anomaly = from.anomaly;
    d.label = from.label;
    d.eventId = from.eventId;
    d.retracts = from.retracts;
    d.topic = from.topic;
    d.partition = from.partition;
    d.offset = from.offset;
    d.rawKey = from.rawKey;
    d.headers = from.headers;
    d.rawValue = from.rawValue;
    d.errorCode = from.errorCode;
    d.reason = from.reason;
    return d;
  }

  @Override
  public void serialize(DriftInput d, DataOutputView out) throws IOException {
    CompactIO io = io();
    out.writeByte(d.kind == null ? -1 : d.kind.ordinal());
    out.writeLong(d.time);
    out.writeDouble(d.score);
    out.writeDouble(d.probability);
    out.writeBoolean(d.anomaly);
    out.writeInt(d.label);
    out.writeInt(d.partition);
    out.writeLong(d.offset);
    io.writeString(d.sampleId, out);
    io.writeString(d.entity, out);
    io.writeString(d.featureSetVersion, out);
    if (d.names == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(d.names.length);
      for (String n : d.names) {
        io.writeString(n, out);
      }
    }
    io.writeFloats(d.values, out);
    io.writeString(d.modelName, out);
    io.writeString(d.modelVersion, out);
    io.writeString(d.topic, out);
    writeBytes(d.rawKey, out);
    writeBytes(d.rawValue, out);
    io.writeString(d.errorCode, out);
    io.writeString(d.reason, out);
    io.writeString(d.eventId, out);
    io.writeString(d.retracts, out);
    writeHeaders(d.headers, out);
  }

  @Override
  public DriftInput deserialize(DataInputView in) throws IOException {
    CompactIO io = io();
    DriftInput d = new DriftInput();
    int kind = in.readByte();
    d.kind = kind < 0 ? null : KINDS[kind];
    d.time = in.readLong();
    d.score = in.readDouble();
    d.probability = in.readDouble();
    d.anomaly = in.readBoolean();
    d.label = in.readInt();
    d.partition = in.readInt();
    d.offset = in.readLong();
    d.sampleId = io.readString(in);
    d.entity = io.readString(in);
    d.featureSetVersion = io.readString(in);
    int names = in.readInt();
    if (names >= 0) {
      d.names = new String[names];
      for (int i = 0; i < names; i++) {
        d.names[i] = io.readString(in);
      }
    }
    d.values = io.readFloats(in);
    d.modelName = io.readString(in);
    d.modelVersion = io.readString(in);
    d.topic = io.readString(in);
    d.rawKey = readBytes(in);
    d.rawValue = readBytes(in);
    d.errorCode = io.readString(in);
    d.reason = io.readString(in);
    d.eventId = io.readString(in);
    d.retracts = io.readString(in);
    d.headers = readHeaders(in);
    return d;
  }

  private void writeHeaders(RecordHeaders h, DataOutputView out) throws IOException {
    if (h == null || h.keys == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(h.keys.length);
    for (int i = 0; i < h.keys.length; i++) {
      io().writeString(h.keys[i], out);
      writeBytes(h.values[i], out);
    }
  }

  private RecordHeaders readHeaders(DataInputView in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    RecordHeaders h = new RecordHeaders();
    h.keys = new String[n];
    h.values = new byte[n][];
    for (int i = 0; i < n; i++) {
      h.keys[i] = io().readString(in);
      h.values[i] = readBytes(in);
    }
    return h;
  }

  private static void writeBytes(byte[] b, DataOutputView out) throws IOException {
    if (b == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(b.length);
      out.write(b);
    }
  }

  private static byte[] readBytes(DataInputView in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  @Override
  public TypeSerializerSnapshot<DriftInput> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Format version 1 of the serializer (no configuration). */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<DriftInput> {
    public Snapshot() {
      super(DriftInputSerializer::new);
    }
  }
}
