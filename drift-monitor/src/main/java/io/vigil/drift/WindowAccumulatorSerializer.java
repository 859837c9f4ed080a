package io.vigil.drift;

import io.vigil.drift.stats.PerformanceEstimate;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The window state serializer of {@link WindowAccumulator}: the counts and out-of-range sums in
 * bulk ({@link CompactIO}) instead of Flink's element-by-element array serializers. Every open
 * window of a model version (as many as the event time the watermark trails by: in a catch-up,
 * dozens) holds its ~7,000 cell counts, serialized on every checkpoint. Format version 1.
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
    CompactIO io = io();
    out.writeLong(w.samples);
    out.writeLong(w.flagged);
    io.writeLongs(w.counts, out);
    io.writeDoubles(w.below, out);
    io.writeDoubles(w.above, out);
    PerformanceEstimate.Expected e = w.expected;
    out.writeDouble(e.tp);
    out.writeDouble(e.fp);
    out.writeDouble(e.fn);
    out.writeLong(e.samples);
  }

  @Override
  public WindowAccumulator deserialize(DataInputView in) throws IOException {
    CompactIO io = io();
    WindowAccumulator w = new WindowAccumulator();
    w.samples = in.readLong();
    w.flagged = in.readLong();
    w.counts = io.readLongs(in);
    w.below = io.readDoubles(in);
    w.above = io.readDoubles(in);
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

  /** Format version 1 of the serializer (no configuration). */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<WindowAccumulator> {
    public Snapshot() {
      super(WindowAccumulatorSerializer::new);
    }
  }
}
