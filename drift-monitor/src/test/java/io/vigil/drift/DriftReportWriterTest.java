package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.schemas.DriftReport;
import io.vigil.schemas.FeatureDrift;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DriftReportWriterTest {

  private static final AvroSerde<DriftReport> SERDE = AvroSerde.of(DriftReport.class);

  @Test
  void writesTheSameBytesAsAvro() {
    DriftReportWriter writer = new DriftReportWriter();
    Random r = new Random(5);
    for (int n = 0; n < 200; n++) {
      int features = n % 7 == 0 ? 0 : r.nextInt(320);
      List<FeatureDrift> fs = new ArrayList<>();
      for (int i = 0; i < features; i++) {
        fs.add(drift(r, (i % 3 == 0 ? "métrique-" : "cpu_r.") + i + (n % 2 == 0 ? ".mean" : ".ewma_z")));
      }
      long start = r.nextLong() >> r.nextInt(64);
      DriftReport report = DriftReport.newBuilder()
          .setModelName(n % 2 == 0 ? "vigil-detector" : "modèle-" + n)
          .setModelVersion(Integer.toString(r.nextInt(1000)))
          .setWindowStart(Instant.ofEpochMilli(start))
          .setWindowEnd(Instant.ofEpochMilli(start + 600_000))
          .setSampleCount(n % 5 == 0 ? 0 : r.nextLong() >>> r.nextInt(64))
          .setFeatures(fs)
          .setDriftedShare(r.nextDouble())
          .setScore(n % 4 == 0 ? null : drift(r, "score"))
          .setAlarm(r.nextBoolean())
          .setAlarmReason(n % 3 == 0 ? null : "12 of 308 features drifted: cpu_r.mean, … " + n)
          .setEstimatedPrecision(n % 2 == 0 ? null : r.nextDouble())
          .setEstimatedRecall(n % 3 == 1 ? null : -r.nextDouble())
          .setEstimatedF1(n % 5 == 2 ? null : Double.NaN)
          .build();
      byte[] bytes = writer.encode(report);
      assertThat(bytes).as("report %d", n).isEqualTo(SERDE.encode(report));
      assertThat(SERDE.decode(bytes)).isEqualTo(report);
    }
  }

  private static FeatureDrift drift(Random r, String name) {
    double[] special = {0.0, -0.0, Double.POSITIVE_INFINITY, Double.MIN_VALUE, 1e300};
    return FeatureDrift.newBuilder()
        .setFeature(name)
        .setPsi(r.nextInt(5) == 0 ? special[r.nextInt(special.length)] : r.nextDouble() * 10)
        .setJensenShannon(r.nextDouble())
        .setKs(r.nextDouble())
        .setWasserstein(r.nextGaussian() * 1e6)
        .setDrifted(r.nextBoolean())
        .build();
  }
}
