package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.features.FeatureSet;
import io.vigil.schemas.EntityKind;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TelemetryDecoderTest {

  private static final FeatureSet SET = FeatureSet.standard("t", List.of("cpu_r", "load_1", "mem_u", "métrique"));
  private static final AvroSerde<TelemetrySample> SERDE = AvroSerde.of(TelemetrySample.class);

  private static TelemetrySample.Builder sample(Map<String, Double> metrics) {
    return TelemetrySample.newBuilder().setEntity("machine-1-2").setEntityKind(EntityKind.CONTAINER)
        .setEventTime(Instant.parse("2024-03-01T12:00:00.123Z")).setMetrics(metrics)
        .setTags(Map.of("dataset", "smd", "split", "test")).setSource("smd/test/machine-1-2.txt:17").setSequence(16);
  }

  private static Map<String, Double> metrics(double... v) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < v.length; i++) {
      m.put(SET.metrics().get(i), v[i]);
    }
    return m;
  }

  /** Every field of a decoded sample, for comparing the two paths. */
  private static String describe(DecodedSample s) {
    return String.join("|", s.entity, Long.toString(s.time), Arrays.toString(s.values), Long.toString(s.sequence),
        s.errorCode, s.reason, s.topic, Integer.toString(s.partition), Long.toString(s.offset),
        Arrays.toString(s.rawKey), Arrays.toString(s.rawValue));
  }

  private static void assertBothPathsAgree(TelemetryDecoder d, byte[] value) {
    byte[] key = "machine-1-2".getBytes();
    assertThat(describe(d.decode("t", 1, 7, key, value)))
        .isEqualTo(describe(d.decodeGeneric("t", 1, 7, key, value)));
  }

  @Test
  void readsValidSamplesOfTheCurrentSchemaStraightFromTheirBytes() {
    TelemetryDecoder d = new TelemetryDecoder(SET, 1e15);
    Map<String, Double> m = new HashMap<>(metrics(0.5, -1.25, 1e14, 0.0));
    m.put("extra_metric", Double.NaN);  // not in the feature set: ignored
    byte[] value = SERDE.encode(sample(m).build());
    DecodedSample s = d.decode("t", 0, 0, null, value);
    assertThat(d.readsDirectly()).isTrue();
    assertThat(s.failed()).isFalse();
    assertThat(s.entity).isEqualTo("machine-1-2");
    assertThat(s.time).isEqualTo(Instant.parse("2024-03-01T12:00:00.123Z").toEpochMilli());
    assertThat(s.values).containsExactly(0.5, -1.25, 1e14, 0.0);
    assertThat(s.sequence).isEqualTo(16);
    assertBothPathsAgree(d, value);
    assertBothPathsAgree(d, SERDE.encode(sample(metrics(1, 2, 3, 4)).setSource(null).setTags(Map.of())
        .setSequence(-1).setEventTime(Instant.ofEpochMilli(-86_400_000L)).setEntity("hôte").build()));
  }

  @Test
  void refusesExactlyAsTheGenericPathDoes() {
    TelemetryDecoder d = new TelemetryDecoder(SET, 1e15);
    List<TelemetrySample> bad = List.of(
        sample(metrics(0.5, 1, 2)).build(),                                    // MISSING_METRIC
        sample(metrics(0.5, Double.NaN, 2, 3)).build(),                        // NON_FINITE_VALUE
        sample(metrics(0.5, 1, Double.NEGATIVE_INFINITY, 3)).build(),          // NON_FINITE_VALUE
        sample(metrics(0.5, 1, 2, -2e15)).build(),                             // ABSURD_VALUE
        sample(metrics(0.5, 1, 2, 3)).setEntity(" ").build(),                  // MISSING_ENTITY
        sample(metrics(0.5, 1, 2, 3)).setEntity("").build());                  // MISSING_ENTITY
    for (TelemetrySample s : bad) {
      byte[] value = SERDE.encode(s);
      assertThat(d.decode("t", 1, 7, null, value).failed()).as(s.toString()).isTrue();
      assertBothPathsAgree(d, value);
    }
    assertBothPathsAgree(d, null);
    assertBothPathsAgree(d, new byte[0]);
    assertBothPathsAgree(d, "not avro".getBytes());
  }

  @Test
  void damagedBytesGiveTheGenericPathsAnswerWhateverTheDamage() {
    TelemetryDecoder d = new TelemetryDecoder(SET, 1e15);
    byte[] value = SERDE.encode(sample(metrics(0.5, 1, 2, 3)).build());
    for (int len = 0; len < value.length; len++) {
      assertBothPathsAgree(d, Arrays.copyOf(value, len));
    }
    Random r = new Random(11);
    for (int n = 0; n < 2000; n++) {
      byte[] damaged = value.clone();
      damaged[10 + r.nextInt(damaged.length - 10)] = (byte) r.nextInt(256);
      assertBothPathsAgree(d, damaged);
    }
  }
}
