package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.schemas.Prediction;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast path reads exactly what the general Avro path reads, and hands anything odd back to it. */
class FastPredictionReaderTest {

  private static final AvroSerde<Prediction> SERDE = AvroSerde.of(Prediction.class);

  private static Prediction prediction(int attributions, boolean optionals, Random rnd) {
    Instant t = Instant.ofEpochMilli(1_700_000_000_000L + rnd.nextInt(1_000_000));
    Map<String, Double> a = new HashMap<>();
    for (int i = 0; i < attributions; i++) {
      a.put("metrïc_" + i, rnd.nextGaussian());
    }
    return Prediction.newBuilder().setSampleId("s-" + rnd.nextLong()).setEntity("machine-é-" + attributions)
        .setWindowStart(t.minusSeconds(600)).setWindowEnd(t).setModelName("model-" + rnd.nextInt(2))
        .setModelVersion(String.valueOf(1 + rnd.nextInt(3))).setModelAlias(optionals ? "champion" : null)
        .setScore(rnd.nextGaussian() * 1e6).setProbability(optionals ? rnd.nextDouble() : null)
        .setUncertainty(rnd.nextDouble()).setThreshold(rnd.nextDouble()).setAnomaly(rnd.nextBoolean())
        .setAttributions(a).setLatencyMicros(rnd.nextInt(100_000) - 5).setPredictedAt(t).setShadow(rnd.nextBoolean())
        .setFeatureSetVersion(optionals ? "fs-" + rnd.nextInt(2) : null)
        .setIncidentId(optionals && rnd.nextBoolean() ? "inc-" + rnd.nextInt(9) : null).build();
  }

  @Test
  void readsWhatTheGeneralPathReads() {
    Random rnd = new Random(3);
    FastPredictionReader fast = new FastPredictionReader();
    for (int round = 0; round < 200; round++) {
      Prediction p = prediction(round % 50, round % 3 != 0, rnd);
      byte[] bytes = SERDE.encode(p);
      DriftInput a = fast.read(bytes);
      assertThat(a).as("round %d", round).isNotNull();
      assertThat(a.kind).isEqualTo(DriftInput.Kind.PREDICTION);
      assertThat(a.sampleId).isEqualTo(p.getSampleId());
      assertThat(a.entity).isEqualTo(p.getEntity());
      assertThat(a.time).isEqualTo(p.getWindowEnd().toEpochMilli());
      assertThat(a.modelName).isEqualTo(p.getModelName());
      assertThat(a.modelVersion).isEqualTo(p.getModelVersion());
      assertThat(a.score).isEqualTo(p.getScore());
      double probability = p.getProbability() == null ? Double.NaN : p.getProbability();
      assertThat(Double.doubleToLongBits(a.probability)).isEqualTo(Double.doubleToLongBits(probability));
      // the model's own flag: inside an incident the written flag is the scoring stage's
      assertThat(a.anomaly).isEqualTo(p.getIncidentId() == null ? p.getAnomaly() : p.getScore() >= p.getThreshold());
      assertThat(a.featureSetVersion).isEqualTo(p.getFeatureSetVersion());
    }
  }

  @Test
  void leavesOddBytesToTheGeneralPath() {
    FastPredictionReader fast = new FastPredictionReader();
    byte[] good = SERDE.encode(prediction(5, true, new Random(1)));
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
    DriftDecoder decoder = new DriftDecoder(DriftInput.Kind.PREDICTION);
    byte[] good = SERDE.encode(prediction(3, true, new Random(2)));
    DriftInput r = decoder.decode("t", 0, 1, null, Arrays.copyOf(good, good.length - 3));
    assertThat(r.kind).isEqualTo(DriftInput.Kind.REFUSED);
    assertThat(r.errorCode).isEqualTo("CORRUPT_BODY");
    byte[] unknown = good.clone();
    unknown[5] ^= 1;
    assertThat(decoder.decode("t", 0, 1, null, unknown).errorCode).isEqualTo("UNKNOWN_SCHEMA");
    Prediction bad = Prediction.newBuilder(prediction(0, true, new Random(4))).setProbability(1.7).build();
    assertThat(decoder.decode("t", 0, 1, null, SERDE.encode(bad)).errorCode).isEqualTo("BAD_PROBABILITY");
  }
}
