package io.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.inference.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Build, save, load and score with the real PyTorch engine. */
class ModelArtifactsTest {

  @TempDir Path dir;

  static ModelSpec autoencoder(long seed) {
    return ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.AUTOENCODER, List.of(8, 3, 8)),
        new ModelSpec.Inputs(List.of("cpu.last", "mem.last", "disk.last", "net.last"), "test", "fs-1"),
        new ModelSpec.ScoreScale(0.1, 2.0, 3.0), seed);
  }

  static FeatureBatch batch(int rows, int cols, long seed) {
    Random r = new Random(seed);
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return new FeatureBatch(v, rows, cols);
  }

  static ScoreBatch score(ModelArtifact m, FeatureBatch b) throws Exception {
    try (Predictor<FeatureBatch, ScoreBatch> p = m.newPredictor()) {
      return p.predict(b);
    }
  }

  @Test
  void savedModelLoadsBackAndScoresIdentically() throws Exception {
    FeatureBatch b = batch(5, 4, 7);
    ScoreBatch before;
    try (ModelArtifact m = ModelArtifacts.create(autoencoder(42))) {
      before = score(m, b);
      ModelArtifacts.save(m, dir);
    }
    assertThat(dir.resolve("model.json")).exists();
    assertThat(dir.resolve("model-0000.params")).exists();
    try (ModelArtifact loaded = ModelArtifacts.load(dir)) {
      assertThat(loaded.spec()).isEqualTo(autoencoder(42));
      ScoreBatch after = score(loaded, b);
      assertThat(after.scores()).containsExactly(before.scores());
      assertThat(after.attributions()).containsExactly(before.attributions());
    }
  }

  @Test
  void autoencoderGivesScoresUncertaintyAndAttributionsThatSumToOne() throws Exception {
    try (ModelArtifact m = ModelArtifacts.create(autoencoder(1))) {
      ScoreBatch s = score(m, batch(3, 4, 3));
      assertThat(s.rows()).isEqualTo(3);
      for (int r = 0; r < 3; r++) {
        assertThat(s.uncertainty()[r]).isBetween(0f, 1f);
        float sum = 0;
        for (int c = 0; c < 4; c++) {
          sum += s.attributions()[r * 4 + c];
        }
        assertThat(sum).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
      }
    }
  }

  @Test
  void batchScoresEqualRowByRowScores() throws Exception {
    FeatureBatch b = batch(6, 4, 11);
    try (ModelArtifact m = ModelArtifacts.create(autoencoder(5))) {
      ScoreBatch all = score(m, b);
      for (int r = 0; r < 6; r++) {
        float[] row = new float[4];
        System.arraycopy(b.values(), r * 4, row, 0, 4);
        ScoreBatch one = score(m, new FeatureBatch(row, 1, 4));
        assertThat(one.scores()[0]).isCloseTo(all.scores()[r], org.assertj.core.data.Offset.offset(1e-5f));
      }
    }
  }

  @Test
  void mlpHasNoAttributions() throws Exception {
    ModelSpec spec = ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.MLP, List.of(4)),
        new ModelSpec.Inputs(List.of("a", "b"), "t", "v"), ModelSpec.ScoreScale.identity(0.5), 3);
    try (ModelArtifact m = ModelArtifacts.create(spec)) {
      ScoreBatch s = score(m, batch(2, 2, 1));
      assertThat(s.attributions()).isNull();
      assertThat(spec.hasAttributions()).isFalse();
    }
  }

  @Test
  void refusesCorruptParameters() throws Exception {
    try (ModelArtifact m = ModelArtifacts.create(autoencoder(42))) {
      ModelArtifacts.save(m, dir);
    }
    Files.write(dir.resolve("model-0000.params"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    assertThatThrownBy(() -> ModelArtifacts.load(dir)).isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("cannot load the parameters");
  }

  @Test
  void refusesParametersOfAnotherArchitecture() throws Exception {
    try (ModelArtifact m = ModelArtifacts.create(autoencoder(42))) {
      ModelArtifacts.save(m, dir);
    }
    String json = Files.readString(dir.resolve("model.json"));
    Files.writeString(dir.resolve("model.json"), json.replaceFirst("\\[ 8, 3, 8 \\]", "[ 8, 5, 8 ]"));
    assertThat(Files.readString(dir.resolve("model.json"))).contains("5");
    assertThatThrownBy(() -> ModelArtifacts.load(dir)).isInstanceOf(ModelFormatException.class);
  }

  @Test
  void refusesUnknownFormatVersionAndUnknownKeys() throws Exception {
    try (ModelArtifact m = ModelArtifacts.create(autoencoder(42))) {
      ModelArtifacts.save(m, dir);
    }
    String json = Files.readString(dir.resolve("model.json"));
    Files.writeString(dir.resolve("model.json"), json.replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));
    assertThatThrownBy(() -> ModelArtifacts.readSpec(dir)).isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("format version 99");
    Files.writeString(dir.resolve("model.json"), json.replace("{", "{ \"surprise\": 1,"));
    assertThatThrownBy(() -> ModelArtifacts.readSpec(dir)).isInstanceOf(ModelFormatException.class);
  }

  @Test
  void refusesSpecsThatCannotBeBuilt() {
    assertThatThrownBy(() -> new ModelSpec.Inputs(List.of("a", "a"), "t", "v"))
        .isInstanceOf(ModelFormatException.class).hasMessageContaining("repeated");
    assertThatThrownBy(() -> new ModelSpec.Architecture(ModelSpec.Kind.MLP, List.of()))
        .isInstanceOf(ModelFormatException.class);
    assertThatThrownBy(() -> new ModelSpec.ScoreScale(0, 0, 1)).isInstanceOf(ModelFormatException.class);
  }
}
