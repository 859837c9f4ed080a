package io.vigil.drift;

import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The serializer of {@link PartialWindow}, on the wire to the window stage and in the pre-aggregating
 * operator's checkpoints. A part holds one count per reference cell (~7,000 for the SMD feature set)
 * of which a window's few dozen samples fill only some, and out-of-range sums that are mostly zero:
 * both are written sparsely, in {@link WindowAccumulatorSerializer}'s format. Format version 1.
 */
public final class PartialWindowSerializer extends CompactSerializer<PartialWindow> {
  private static final long serialVersionUID = 1L;

  public static final TypeInformation<PartialWindow> TYPE = new CompactTypeInfo<>(PartialWindow.class, false,
      "PartialWindow(compact)", PartialWindowSerializer::new);

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<PartialWindow> duplicate() {
    return new PartialWindowSerializer(); // the scratch buffer is per instance
  }

  @Override
  public PartialWindow createInstance() {
    return new PartialWindow();
  }

  @Override
  public PartialWindow copy(PartialWindow from) {
    PartialWindow p = new PartialWindow(from.modelName, from.modelVersion, from.windowStart);
    p.acc.merge(from.acc);
    return p;
  }

  @Override
  public void serialize(PartialWindow p, DataOutputView out) throws IOException {
    CompactIO io = io();
    io.writeString(p.modelName, out);
    io.writeString(p.modelVersion, out);
    out.writeLong(p.windowStart);
    WindowAccumulatorSerializer.write(p.acc, out, io);
  }

  @Override
  public PartialWindow deserialize(DataInputView in) throws IOException {
    CompactIO io = io();
    PartialWindow p = new PartialWindow(io.readString(in), io.readString(in), in.readLong());
    p.acc = WindowAccumulatorSerializer.read(in, io);
    return p;
  }

  @Override
  public TypeSerializerSnapshot<PartialWindow> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Format version 1 of the serializer (no configuration). */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<PartialWindow> {
    public Snapshot() {
      super(PartialWindowSerializer::new);
    }
  }
}
