package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Random;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The compact state serializers give back what they were given, and restore their own snapshots. */
class StateSerializersTest {

  /** Field by field, NaN equal to NaN. */
  private static <T> void same(T actual, T expected) {
    assertThat(actual).usingRecursiveComparison().withComparatorForType(Double::compare, Double.class)
        .withComparatorForType(Float::compare, Float.class)
        .isEqualTo(expected);
  }

  private static <T> T roundTrip(TypeSerializer<T> s, T value) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    s.serialize(value, out);
    s.serialize(value, out); // two in a row: each reads exactly its own bytes
    DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
    T first = s.deserialize(in);
    same(s.deserialize(in), first);
    assertThat(in.available()).isZero();
    DataOutputSerializer copied = new DataOutputSerializer(64);
    s.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
    same(s.deserialize(new DataInputDeserializer(copied.getCopyOfBuffer())), first);
    return first;
  }

  private static <T> void restoresItsSnapshot(TypeSerializer<T> s) throws IOException {
    TypeSerializerSnapshot<T> snapshot = s.snapshotConfiguration();
    DataOutputSerializer out = new DataOutputSerializer(64);
    TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
    TypeSerializerSnapshot<T> restored = TypeSerializerSnapshot.readVersionedSnapshot(
        new DataInputDeserializer(out.getCopyOfBuffer()), StateSerializersTest.class.getClassLoader());
    assertThat(restored.restoreSerializer()).isEqualTo(s);
    TypeSerializerSchemaCompatibility<T> c = s.snapshotConfiguration().resolveSchemaCompatibility(restored);
    assertThat(c.isCompatibleAsIs()).isTrue();
  }

  @Test
  void entityJoinStateRoundTripsWithVectorNamesAndWaitingPredictionsInOrder() throws IOException {
    Random rnd = new Random(5);
    JoinState s = new JoinState();
    s.hasVector = true;
    s.time = 1_700_000_000_000L;
    s.entity = "machine-é-1";
    s.featureSetVersion = "fs-1";
    s.names = new String[] {"cpu_r.w10.mean", "ü"};
    s.values = new float[1500]; // more than one scratch chunk
    for (int i = 0; i < s.values.length; i++) {
      s.values[i] = i % 9 == 0 ? Float.NaN : (float) (rnd.nextGaussian() * 1e12);
    }
    JoinState.PendingPrediction p = new JoinState.PendingPrediction();
    p.time = 5;
    p.modelName = "m";
    p.modelVersion = "2";
    p.score = -1.5;
    p.anomaly = true;
    s.pending = new JoinState.PendingPrediction[] {p, new JoinState.PendingPrediction()};
    JoinState waiting = new JoinState(); // a prediction only: no vector, no strings of its own
    waiting.matched = true;
    waiting.pending = new JoinState.PendingPrediction[] {p};

    EntityJoinState entity = new EntityJoinState();
    entity.timer = 1_700_000_600_000L;
    entity.samples.put("s-2", s);
    entity.samples.put("s-1", waiting); // the map's order is kept
    entity.samples.put("", new JoinState());
    EntityJoinStateSerializer ser = new EntityJoinStateSerializer();
    EntityJoinState back = roundTrip(ser, entity);
    same(back, entity);
    assertThat(back.samples.keySet()).containsExactly("s-2", "s-1", "");
    same(roundTrip(ser, new EntityJoinState()), new EntityJoinState());
    restoresItsSnapshot(ser);

    EntityJoinState copy = ser.copy(entity); // new entries, shared arrays
    copy.samples.get("s-1").matched = false;
    copy.samples.remove("s-2");
    assertThat(entity.samples.get("s-1").matched).isTrue();
    assertThat(entity.samples).hasSize(3);
    assertThat(ser.copy(entity).samples.get("s-2").values).isSameAs(s.values);
  }

  @Test
  void stringKeysRoundTripWhateverTheirLength() throws IOException {
    StringKeySerializer ser = new StringKeySerializer();
    for (String id : new String[] {"", "s-0123456789abcdef0123456789abcdef", "é".repeat(70), "x".repeat(20_000)}) {
      assertThat(roundTrip(ser, id)).isEqualTo(id);
    }
    restoresItsSnapshot(ser);
    assertThat(StringKeySerializer.TYPE.isKeyType()).isTrue();
  }

  @Test
  void windowAccumulatorRoundTripsAndCopiesDeeply() throws IOException {
    WindowAccumulator w = new WindowAccumulator();
    BinnedSamples.add(w, new int[] {1, 5, 9}, new byte[] {-1, 0, 1}, new double[] {-3, 0.5, 7}, 2000, 0.8, true);
    BinnedSamples.add(w, new int[] {0, 6, 9}, new byte[] {0, 0, 1}, new double[] {0.1, 0.5, 9}, 2000, Double.NaN, false);
    WindowAccumulatorSerializer ser = new WindowAccumulatorSerializer();
    same(roundTrip(ser, w), w);
    same(roundTrip(ser, new WindowAccumulator()), new WindowAccumulator());
    WindowAccumulator copy = ser.copy(w);
    BinnedSamples.add(copy, new int[] {1, 5, 9}, new byte[] {0, 0, 0}, new double[] {0, 0, 0}, 2000, 0.1, false);
    assertThat(w.counts[1]).isEqualTo(1); // the copy has its own arrays
    assertThat(w.samples).isEqualTo(2);
    restoresItsSnapshot(ser);
    assertThat(WindowAccumulatorSerializer.TYPE.createSerializer(null)).isEqualTo(ser);
  }

  @Test
  void joinStateOfTheDoublesFormatIsMigratedToFloatsOnRestore() throws IOException {
    // a sample as format 1 wrote it: its values as doubles
    JoinState s = new JoinState();
    s.hasVector = true;
    s.time = 7;
    s.entity = "e";
    s.values = new float[] {1.5f, -2.25f, Float.NaN, 3e38f};
    EntityJoinState entity = new EntityJoinState();
    entity.timer = 9;
    entity.samples.put("s-1", s);
    EntityJoinStateSerializer doubles = new EntityJoinStateSerializer(1);
    DataOutputSerializer old = new DataOutputSerializer(64);
    doubles.serialize(entity, old);

    // its snapshot: SimpleTypeSerializerSnapshot's version 3, no body
    EntityJoinStateSerializer.Snapshot before = new EntityJoinStateSerializer.Snapshot();
    before.readSnapshot(3, new DataInputDeserializer(new byte[0]), StateSerializersTest.class.getClassLoader());
    assertThat(new EntityJoinStateSerializer().snapshotConfiguration().resolveSchemaCompatibility(before)
        .isCompatibleAfterMigration()).isTrue();
    EntityJoinState restored = before.restoreSerializer().deserialize(new DataInputDeserializer(old.getCopyOfBuffer()));
    same(restored, entity);
    // and written again in format 2: floats, half the bytes of the values
    DataOutputSerializer now = new DataOutputSerializer(64);
    new EntityJoinStateSerializer().serialize(restored, now);
    assertThat(old.length() - now.length()).isEqualTo(4 * 4);
  }

  @Test
  void valuesBeyondTheFloatRangeAreClampedAndNonFiniteOnesKept() {
    assertThat(FeatureValues.narrow(new double[] {1e300, -1e300, Double.NaN, Double.POSITIVE_INFINITY, 0.1}))
        .containsExactly(Float.MAX_VALUE, -Float.MAX_VALUE, Float.NaN, Float.POSITIVE_INFINITY, 0.1f);
  }

  @Test
  void windowStateOfTheDenseFormatIsIncompatible() throws IOException {
    // a snapshot written before the sparse format: SimpleTypeSerializerSnapshot's version 3, no body
    WindowAccumulatorSerializer.Snapshot dense = new WindowAccumulatorSerializer.Snapshot();
    dense.readSnapshot(3, new DataInputDeserializer(new byte[0]), StateSerializersTest.class.getClassLoader());
    assertThat(new WindowAccumulatorSerializer().snapshotConfiguration().resolveSchemaCompatibility(dense)
        .isIncompatible()).isTrue();
  }

  @Test
  void partialWindowsRoundTripSparselyAndCopyDeeply() throws IOException {
    PartialWindow p = new PartialWindow("model-ä", "3", 1_700_000_400_000L);
    // 9,000 cells (more than one scratch chunk of pairs), some large counts, negative out-of-range sums
    BinnedSamples.add(p.acc, new int[] {1, 5, 8_999}, new byte[] {-1, 0, 1}, new double[] {-3, 0.5, 7e300}, 9_000, 0.8, true);
    for (int i = 0; i < 3_000; i++) {
      BinnedSamples.add(p.acc, new int[] {i * 3, 5, 6}, new byte[] {0, 0, 1}, new double[] {0.1, 0.5, 9}, 9_000, Double.NaN, false);
    }
    p.acc.counts[7] = 1L << 40;
    PartialWindowSerializer ser = new PartialWindowSerializer();
    same(roundTrip(ser, p), p);
    PartialWindow empty = new PartialWindow("m", "1", 0);
    same(roundTrip(ser, empty), empty);
    PartialWindow copy = ser.copy(p);
    BinnedSamples.add(copy.acc, new int[] {1, 5, 9}, new byte[] {0, 0, 0}, new double[] {0, 0, 0}, 9_000, 0.1, false);
    assertThat(p.acc.counts[1]).isEqualTo(1); // the copy has its own arrays
    assertThat(copy.modelKey()).isEqualTo(p.modelKey());
    // a part with a few dozen samples travels in far less than its dense arrays
    PartialWindow small = new PartialWindow("m", "1", 0);
    for (int i = 0; i < 30; i++) {
      int[] cells = new int[308];
      for (int f = 0; f < cells.length; f++) {
        cells[f] = f * 22 + (i + f) % 22;
      }
      BinnedSamples.add(small.acc, cells, new byte[308], new double[308], 308 * 22, 0.5, false);
    }
    DataOutputSerializer out = new DataOutputSerializer(64);
    ser.serialize(small, out);
    assertThat(out.length()).isLessThan(308 * 22 * 8 / 3);
    restoresItsSnapshot(ser);
    assertThat(PartialWindowSerializer.TYPE.createSerializer(null)).isEqualTo(ser);
  }

  @Test
  void driftInputsRoundTripWhateverTheirKindAndAreTheClassesType() throws IOException {
    DriftInputSerializer ser = new DriftInputSerializer();
    DriftInput vector = new DriftInput();
    vector.kind = DriftInput.Kind.FEATURES;
    vector.sampleId = "s-1";
    vector.entity = "machine-é";
    vector.time = 1_700_000_000_000L;
    vector.featureSetVersion = "fs-1";
    vector.names = new String[] {"a.last", null, "ü"};
    vector.values = FeatureValues.narrow(new Random(1).doubles(1500).toArray()); // more than one scratch chunk
    vector.values[3] = Float.NaN;
    same(roundTrip(ser, vector), vector);
    DriftInput prediction = new DriftInput();
    prediction.kind = DriftInput.Kind.PREDICTION;
    prediction.sampleId = "s-1";
    prediction.modelName = "m";
    prediction.modelVersion = "7";
    prediction.score = 3.5;
    prediction.anomaly = true;
    same(roundTrip(ser, prediction), prediction);
    DriftInput label = new DriftInput();
    label.kind = DriftInput.Kind.LABEL;
    label.sampleId = "s-1";
    label.label = 0;
    label.eventId = "ev-2";
    label.retracts = "ev-1";
    same(roundTrip(ser, label), label);
    same(ser.copy(label), label);
    DriftInput refused = DriftInput.refused("vigil.features", 2, 99, new byte[] {1, 2}, new byte[0], "BAD_RECORD",
        "unreadable");
    same(roundTrip(ser, refused), refused);
    refused.headers = new io.vigil.streamio.RecordHeaders();
    refused.headers.keys = new String[] {"traceparent", "empty"};
    refused.headers.values = new byte[][] {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".getBytes(), {}};
    same(roundTrip(ser, refused), refused); // a refused record's headers reach its dead letter
    same(roundTrip(ser, new DriftInput()), new DriftInput());
    assertThat(ser.copy(vector).values).isSameAs(vector.values); // emitted arrays are never changed in place
    restoresItsSnapshot(ser);
    assertThat(org.apache.flink.api.common.typeinfo.TypeInformation.of(DriftInput.class))
        .isEqualTo(DriftInputSerializer.TYPE);
  }
}
