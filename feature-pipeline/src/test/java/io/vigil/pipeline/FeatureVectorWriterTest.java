package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.features.FeatureSet;
import io.vigil.features.FeatureVectors;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.wire.AvroSerde;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.junit.jupiter.api.Test;

class FeatureVectorWriterTest {

  private static final AvroSerde<FeatureVector> SERDE = AvroSerde.of(FeatureVector.class);
  private static final FeatureSet SET = FeatureSet.smdDefault();

  @Test
  void writesTheSameBytesAsAvroForVectorsOfTheFeatureLibrary() {
    FeatureVectorWriter writer = new FeatureVectorWriter();
    Random r = new Random(7);
    int width = SET.featureNames().size();
    for (int n = 0; n < 200; n++) {
      double[] f = new double[width];
      for (int i = 0; i < width; i++) {
        f[i] = switch (r.nextInt(6)) {
          case 0 -> 0.0;
          case 1 -> -0.0;
          case 2 -> r.nextGaussian() * 1e12;
          case 3 -> Double.MIN_VALUE;
          default -> r.nextDouble();
        };
      }
      long end = r.nextLong() >> r.nextInt(64);
      List<String> names = n % 3 == 0 ? SET.featureNames() : List.of();
      FeatureVector v = FeatureVectors.of(n % 2 == 0 ? "machine-1-" + n : "hôte-é-" + n, end - r.nextInt(600_000),
          end, SET, SET.version(), names, f, n % 5 == 0 ? -1 : r.nextLong());
      assertThat(writer.encode(v)).as("vector %d", n).isEqualTo(SERDE.encode(v));
      assertThat(SERDE.decode(writer.encode(v))).isEqualTo(v);
    }
  }

  @Test
  void archiveFilesReadBackAsTheVectorsThatWereWritten() throws Exception {
    List<FeatureVector> written = new ArrayList<>();
    Random r = new Random(3);
    for (int n = 0; n < 50; n++) {
      double[] f = r.doubles(SET.featureNames().size()).toArray();
      written.add(FeatureVectors.of("machine-1-" + n % 3, 1000L * n, 1000L * n + 60_000, SET, SET.version(),
          List.of(), f, n));
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean[] closed = {false};
    FSDataOutputStream part = new FSDataOutputStream() {
      @Override
      public long getPos() {
        return bytes.size();
      }

      @Override
      public void write(int b) {
        bytes.write(b);
      }

      @Override
      public void flush() {}

      @Override
      public void sync() {}

      @Override
      public void close() {
        closed[0] = true;
      }
    };
    BulkWriter<FeatureRecord> w = new FeatureArchiveFormat().create(part);
    for (FeatureVector v : written) {
      w.addElement(FeatureRecord.of(v, null, null));
    }
    w.finish();
    assertThat(closed[0]).as("the part file stays the FileSink's to close").isFalse();
    List<FeatureVector> read = new ArrayList<>();
    try (DataFileStream<FeatureVector> in = new DataFileStream<>(new ByteArrayInputStream(bytes.toByteArray()),
        new SpecificDatumReader<>(FeatureVector.class))) {
      in.forEach(read::add);
      assertThat(in.getSchema()).isEqualTo(FeatureVector.getClassSchema());
    }
    assertThat(read).isEqualTo(written);
  }

  @Test
  void writesTheSameBytesAsAvroForBoxedValuesAndEmptyVectors() {
    FeatureVectorWriter writer = new FeatureVectorWriter();
    List<Double> boxed = new ArrayList<>(List.of(1.5, -2.25, Double.NaN, Double.POSITIVE_INFINITY));
    for (List<Double> values : List.of(boxed, List.<Double>of())) {
      FeatureVector v = FeatureVector.newBuilder().setSampleId("s-0").setEntity("")
          .setWindowStart(Instant.ofEpochMilli(-5)).setWindowEnd(Instant.ofEpochMilli(Long.MAX_VALUE))
          .setFeatureSetId("x").setFeatureSetVersion("fs-1").setNames(List.of("a", "b"))
          .setValues(values).setSequence(Long.MIN_VALUE).build();
      assertThat(writer.encode(v)).isEqualTo(SERDE.encode(v));
    }
  }
}
