package io.vigil.drift;

import io.vigil.drift.stats.PerformanceEstimate;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The window state serializer of {@link WindowAccumulator}: the counts and out-of-range sums
 * sparsely ({@link CompactIO#writeSparseCounts}: only the non-zero cells) instead of Flink's
 * element-by-element array serializers. Every open window of a model version (as many as the event
 * time the watermark trails by: in a catch-up, dozens) holds its ~7,000 cell counts, serialized on
 * every checkpoint, and a window of a few dozen samples fills only some. Format version 2: version 1
 * wrote the arrays densely, and its state is refused on restore ({@link Snapshot}), not misread.
 */
public final class WindowAccumulatorSerializer extends CompactSerializer<WindowAccumulator> {
  private static final long serialVersionUID = 1L;

  /** The type information the window operator takes for its accumulator. */
  public static final TypeInformation<WindowAccumulator> TYPE = new CompactTypeInfo<>(WindowAccumulator.class,
      false, "WindowAccumulator(compact)", WindowAccumulatorSerializer::new);



  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TypeSerializer<WindowAccumulator> duplicate() {
    return new WindowAccumulatorSerializer(); // the scratch buffer is per instance
  }

  @Override
  public WindowAccumulator createInstance() {
    return new WindowAccumulator();
  }

  /** A deep copy: the aggregate adds into the arrays in place. */
  @Override
  public WindowAccumulator copy(WindowAccumulator from) {
    WindowAccumulator w = new WindowAccumulator();
    w.samples = from.samples;
    w.flagged = from.flagged;
    w.counts = from.counts == null ? null : from.counts.clone();
    w.below = from.below == null ? null : from.below.clone();
    w.above = from.above == null ? null : from.above.clone();
    w.expected.merge(from.expected);
    return w;
  }

  @Override
  public void serialize(WindowAccumulator w, DataOutputView out) throws IOException {
    write(w, out, io());
  }

  @Override
  public WindowAccumulator deserialize(DataInputView in) throws IOException {
    return read(in, io());
  }

  /** The format, shared with {@link PartialWindowSerializer}: scalars, then the arrays sparsely. */
  static void write(WindowAccumulator w, DataOutputView out, CompactIO io) throws IOException {
    out.writeLong(w.samples);
    out.writeLong(w.flagged);
    io.writeSparseCounts(w.counts, out);
    io.writeSparseDoubles(w.below, out);
    io.writeSparseDoubles(w.above, out);
    PerformanceEstimate.Expected e = w.expected;
    out.writeDouble(e.tp);
    out.writeDouble(e.fp);
    out.writeDouble(e.fn);
    out.writeLong(e.samples);
  }

  static WindowAccumulator read(DataInputView in, CompactIO io) throws IOException {
    WindowAccumulator w = new WindowAccumulator();
    w.samples = in.readLong();
    w.flagged = in.readLong();
    w.counts = io.readSparseCounts(in);
    w.below = io.readSparseDoubles(in);
    w.above = io.readSparseDoubles(in);
    w.expected.tp = in.readDouble();
    w.expected.fp = in.readDouble();
    w.expected.fn = in.readDouble();
    w.expected.samples = in.readLong();
    return w;
  }

  @Override
  public TypeSerializerSnapshot<WindowAccumulator> snapshotConfiguration() {
    return new Snapshot();
  }

  /**
   * The serializer's snapshot, versioned by format: a snapshot of the dense format 1 (snapshot
   * version 3, {@link SimpleTypeSerializerSnapshot}'s own) is incompatible with this serializer, so
   * restoring such window state fails instead of misreading it.
   */
  public static final class Snapshot extends FormatVersionedSnapshot<WindowAccumulator> {
    /** Snapshot version of the sparse format 2. */
    static final int SPARSE = 4;

    public Snapshot() {
      super(WindowAccumulatorSerializer::new, SPARSE);
    }

    @Override
    public TypeSerializerSchemaCompatibility<WindowAccumulator> resolveSchemaCompatibility(
        TypeSerializerSnapshot<WindowAccumulator> old) {
      return old instanceof Snapshot s && s.older() ? TypeSerializerSchemaCompatibility.incompatible()
          : super.resolveSchemaCompatibility(old);
    }
  }
}
