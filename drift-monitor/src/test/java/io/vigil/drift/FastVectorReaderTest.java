package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast path reads exactly what the general Avro path reads, and hands anything odd back to it. */
class FastVectorReaderTest {

  private static final AvroSerde<FeatureVector> SERDE = AvroSerde.of(FeatureVector.class);

  private static FeatureVector vector(int n, boolean names, Random rnd) {
    Instant t = Instant.ofEpochMilli(1_700_000_000_000L + rnd.nextInt(1_000_000));
    List<Double> values = new ArrayList<>();
    List<String> ns = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      values.add(i % 7 == 0 ? -rnd.nextDouble() * 1e9 : i % 11 == 0 ? Double.MIN_VALUE : rnd.nextGaussian());
      ns.add("metrïc_" + i + ".w10.mean");
    }
    return FeatureVector.newBuilder().setSampleId("s-" + rnd.nextLong()).setEntity("machine-é-" + n)
        .setWindowStart(t.minusSeconds(600)).setWindowEnd(t).setFeatureSetId("smd").setFeatureSetVersion("fs-1")
        .setNames(names ? ns : List.of()).setValues(values).setSequence(rnd.nextInt(100) - 1).build();
  }

  private static DriftInput general(byte[] bytes) {
    FeatureVector v = SERDE.decode(bytes);
    DriftInput d = new DriftInput();
    d.sampleId = v.getSampleId();
    d.entity = v.getEntity();
    d.time = v.getWindowEnd().toEpochMilli();
    d.featureSetVersion = v.getFeatureSetVersion();
    d.values = FeatureValues.narrow(v.getValues().stream().mapToDouble(Double::doubleValue).toArray());
    d.names = v.getNames().isEmpty() ? null : v.getNames().toArray(new String[0]);
    return d;
  }

  @Test
  void readsWhatTheGeneralPathReads() {
    Random rnd = new Random(7);
    FastVectorReader fast = new FastVectorReader();
    for (int n : new int[] {0, 1, 2, 307, 600, 1500}) {
      for (boolean names : new boolean[] {false, true}) {
        byte[] bytes = SERDE.encode(vector(n, names, rnd));
        DriftInput a = fast.read(bytes);
        DriftInput b = general(bytes);
        assertThat(a).as("n=%d names=%s", n, names).isNotNull();
        assertThat(a.kind).isEqualTo(DriftInput.Kind.FEATURES);
        assertThat(a.sampleId).isEqualTo(b.sampleId);
        assertThat(a.entity).isEqualTo(b.entity);
        assertThat(a.time).isEqualTo(b.time);
        assertThat(a.featureSetVersion).isEqualTo(b.featureSetVersion);
        assertThat(a.names).isEqualTo(b.names);
        assertThat(Arrays.equals(a.values, b.values)).isTrue();
      }
    }
  }

  @Test
  void leavesOddBytesToTheGeneralPath() {
    FastVectorReader fast = new FastVectorReader();
    byte[] good = SERDE.encode(vector(307, false, new Random(1)));
    assertThat(fast.read(Arrays.copyOf(good, good.length - 3))).isNull(); // truncated
    assertThat(fast.read(Arrays.copyOf(good, good.length + 1))).isNull(); // trailing byte
    byte[] otherSchema = good.clone();
    otherSchema[5] ^= 1; // another fingerprint: an older release, or unknown
    assertThat(fast.read(otherSchema)).isNull();
    assertThat(fast.read(new byte[] {1, 2, 3})).isNull();
    assertThat(fast.read(good)).isNotNull(); // still usable after failures
  }

  @Test
  void theDecoderGivesTheSameRefusalsAsBefore() {
    DriftDecoder decoder = new DriftDecoder(DriftInput.Kind.FEATURES);
    byte[] good = SERDE.encode(vector(5, false, new Random(2)));
    byte[] truncated = Arrays.copyOf(good, good.length - 3);
    DriftInput r = decoder.decode("t", 0, 1, null, truncated);
    assertThat(r.kind).isEqualTo(DriftInput.Kind.REFUSED);
    assertThat(r.errorCode).isEqualTo("CORRUPT_BODY");
    byte[] unknown = good.clone();
    unknown[5] ^= 1;
    assertThat(decoder.decode("t", 0, 1, null, unknown).errorCode).isEqualTo("UNKNOWN_SCHEMA");
  }
}
