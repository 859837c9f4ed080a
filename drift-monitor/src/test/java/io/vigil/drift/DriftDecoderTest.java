package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad input becomes a refusal with its bytes and a reason; good input is read. */
class DriftDecoderTest {

  private static Prediction prediction(Double probability, double score) {
    Instant t = Instant.parse("2026-03-01T00:10:00Z");
    return Prediction.newBuilder().setSampleId("s-1").setEntity("e").setWindowStart(t).setWindowEnd(t)
        .setModelName("m").setModelVersion("3").setScore(score).setProbability(probability).setUncertainty(0)
        .setThreshold(1).setAnomaly(score > 1).setAttributions(Map.of()).setPredictedAt(t).build();
  }

  @Test
  void readsPredictionsAndVectors() {
    DriftInput p = new DriftDecoder(DriftInput.Kind.PREDICTION)
        .decode("t", 0, 1, null, AvroSerde.of(Prediction.class).encode(prediction(0.7, 2)));
    assertThat(p.kind).isEqualTo(DriftInput.Kind.PREDICTION);
    assertThat(p.modelKey()).isEqualTo(DriftInput.modelKey("m", "3"));
    assertThat(p.probability).isEqualTo(0.7);
    DriftInput none = new DriftDecoder(DriftInput.Kind.PREDICTION)
        .decode("t", 0, 1, null, AvroSerde.of(Prediction.class).encode(prediction(null, 2)));
    assertThat(none.probability).isNaN();
    Instant t = Instant.parse("2026-03-01T00:10:00Z");
    FeatureVector v = FeatureVector.newBuilder().setSampleId("s-1").setEntity("e").setWindowStart(t).setWindowEnd(t)
        .setFeatureSetId("x").setFeatureSetVersion("fs-1").setValues(List.of(1.0, 2.0)).build();
    DriftInput f = new DriftDecoder(DriftInput.Kind.FEATURES).decode("t", 0, 1, null, AvroSerde.of(FeatureVector.class).encode(v));
    assertThat(f.values).containsExactly(1.0f, 2.0f);
    assertThat(f.names).isNull();
    assertThat(f.time).isEqualTo(t.toEpochMilli());
  }

  @Test
  void refusesUnreadableAndInvalidRecordsKeepingTheirBytes() {
    byte[] junk = {1, 2, 3};
    DriftInput r = new DriftDecoder(DriftInput.Kind.FEATURES).decode("t", 2, 9, "k".getBytes(), junk);
    assertThat(r.kind).isEqualTo(DriftInput.Kind.REFUSED);
    assertThat(r.errorCode).isEqualTo("BAD_HEADER");
    assertThat(r.rawValue).isEqualTo(junk);
    assertThat(r.offset).isEqualTo(9);

    byte[] bad = AvroSerde.of(Prediction.class).encode(prediction(1.5, 2));
    DriftInput b = new DriftDecoder(DriftInput.Kind.PREDICTION).decode("t", 0, 1, null, bad);
    assertThat(b.errorCode).isEqualTo("BAD_PROBABILITY");
    assertThat(b.reason).contains("s-1");
    assertThat(b.rawValue).isEqualTo(bad);

    DriftInput nan = new DriftDecoder(DriftInput.Kind.PREDICTION)
        .decode("t", 0, 1, null, AvroSerde.of(Prediction.class).encode(prediction(0.5, Double.NaN)));
    assertThat(nan.errorCode).isEqualTo("NON_FINITE_VALUE");
    assertThat(new DriftDecoder(DriftInput.Kind.LABEL).decode("t", 0, 1, null, new byte[0]).errorCode)
        .isEqualTo("EMPTY_RECORD");
  }
}
