package io.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.inference.Predictor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional normalization block of model.json: stored, applied when scoring, backwards compatible. */
class NormalizationTest {

  @TempDir Path dir;

  static ModelSpec.Normalization normalization() {
    return new ModelSpec.Normalization(List.of(1.0, 2.0, 3.0, 4.0), List.of(0.5, 1.0, 2.0, 4.0),
        List.of(1.0, 0.5, 2.0, 1.0), 10);
  }

  @Test
  void normalizedSpecSurvivesSaveAndLoadAndScoresIdentically() throws Exception {
    ModelSpec spec = ModelArtifactsTest.autoencoder(3).withNormalization(normalization());
    FeatureBatch b = ModelArtifactsTest.batch(6, 4, 9);
    float[] before;
    try (ModelArtifact m = ModelArtifacts.create(spec)) {
      before = ModelArtifactsTest.score(m, b).scores();
      ModelArtifacts.save(m, dir);
    }
    try (ModelArtifact loaded = ModelArtifacts.load(dir)) {
      assertThat(loaded.spec()).isEqualTo(spec);
      assertThat(ModelArtifactsTest.score(loaded, b).scores()).containsExactly(before);
    }
  }

  @Test
  void scoreMixIsStoredAndChangesTheScore() throws Exception {
    ModelSpec plain = ModelArtifactsTest.autoencoder(3).withNormalization(normalization());
    ModelSpec mixed = ModelArtifactsTest.autoencoder(3).withNormalization(normalization()
        .withMix(new ModelSpec.ScoreMix(0.5, 1, 2, 3, 4)));
    FeatureBatch b = ModelArtifactsTest.batch(6, 4, 9);
    float[] before;
    try (ModelArtifact a = ModelArtifacts.create(plain); ModelArtifact m = ModelArtifacts.create(mixed)) {
      before = ModelArtifactsTest.score(m, b).scores();
      assertThat(before).isNotEqualTo(ModelArtifactsTest.score(a, b).scores());
      ModelArtifacts.save(m, dir);
    }
    try (ModelArtifact loaded = ModelArtifacts.load(dir)) {
      assertThat(loaded.spec()).isEqualTo(mixed);
      assertThat(ModelArtifactsTest.score(loaded, b).scores()).containsExactly(before);
    }
  }

  @Test
  void meanSquaredZMixIsStoredAndScoresAsDocumented() throws Exception {
    ModelSpec.ScoreMix mix = new ModelSpec.ScoreMix(0.75, 0.5, 2, 1, 4,
        ModelSpec.MixComponent.MEAN_SQUARED_Z, 3.0);
    ModelSpec reconstruction = ModelArtifactsTest.autoencoder(3).withNormalization(normalization()
        .withMix(new ModelSpec.ScoreMix(0, 0, 1, 0, 1)));
    ModelSpec mixed = ModelArtifactsTest.autoencoder(3).withNormalization(normalization().withMix(mix));
    FeatureBatch b = ModelArtifactsTest.batch(6, 4, 9);
    ModelSpec.ScoreScale scale = mixed.scale();
    float[] before;
    try (ModelArtifact r = ModelArtifacts.create(reconstruction); ModelArtifact m = ModelArtifacts.create(mixed)) {
      ScoreBatch rec = ModelArtifactsTest.score(r, b);
      ScoreBatch got = ModelArtifactsTest.score(m, b);
      before = got.scores();
      ModelSpec.Normalization n = normalization();
      for (int row = 0; row < 6; row++) {
        double recRaw = rec.scores()[row] * scale.spread() + scale.center();
        double z2 = 0;
        for (int c = 0; c < 4; c++) {
          double z = (b.values()[row * 4 + c] - n.center().get(c)) / n.scale().get(c);
          z2 += Math.pow(Math.max(-3, Math.min(3, z)), 2) / 4;
        }
        double raw = 0.25 * (recRaw - 0.5) / 2 + 0.75 * (z2 - 1) / 4;
        assertThat((double) got.scores()[row]).isCloseTo(scale.scale(raw), org.assertj.core.data.Offset.offset(1e-4));
        float sum = 0;
        for (int c = 0; c < 4; c++) {
          sum += got.attributions()[row * 4 + c];
          assertThat(got.attributions()[row * 4 + c]).isBetween(0f, 1f);
        }
        assertThat(sum).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
      }
      ModelArtifacts.save(m, dir);
    }
    String json = Files.readString(dir.resolve(ModelArtifacts.SPEC_FILE), StandardCharsets.UTF_8);
    assertThat(json).contains("MEAN_SQUARED_Z").contains("zClip");
    try (ModelArtifact loaded = ModelArtifacts.load(dir)) {
      assertThat(loaded.spec()).isEqualTo(mixed);
      assertThat(ModelArtifactsTest.score(loaded, b).scores()).containsExactly(before);
    }
  }

  @Test
  void aMixWrittenBeforeTheComponentFieldsReadsAsMaxAbsZ() throws Exception {
    ModelSpec mixed = ModelArtifactsTest.autoencoder(3).withNormalization(normalization()
        .withMix(new ModelSpec.ScoreMix(0.5, 1, 2, 3, 4)));
    try (ModelArtifact m = ModelArtifacts.create(mixed)) {
      ModelArtifacts.save(m, dir);
    }
    String json = Files.readString(dir.resolve(ModelArtifacts.SPEC_FILE), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("component").doesNotContain("zClip");
    ModelSpec read = ModelArtifacts.readSpec(dir);
    assertThat(read.normalization().mix().component()).isNull();
    assertThat(read.normalization().mix().deviation()).isEqualTo(ModelSpec.MixComponent.MAX_ABS_Z);
    assertThatThrownBy(() -> new ModelSpec.ScoreMix(0.5, 1, 2, 3, 4, null, 3.0))
        .isInstanceOf(ModelFormatException.class);
  }

  @Test
  void normalizationChangesWhatTheNetworkSees() throws Exception {
    ModelSpec plain = ModelArtifactsTest.autoencoder(3);
    FeatureBatch b = ModelArtifactsTest.batch(6, 4, 9);
    try (ModelArtifact a = ModelArtifacts.create(plain);
        ModelArtifact n = ModelArtifacts.create(plain.withNormalization(normalization()))) {
      assertThat(ModelArtifactsTest.score(n, b).scores())
          .isNotEqualTo(ModelArtifactsTest.score(a, b).scores());
    }
  }

  @Test
  void specWithoutNormalizationIsWrittenWithoutTheFieldAndReadBack() throws Exception {
    try (ModelArtifact m = ModelArtifacts.create(ModelArtifactsTest.autoencoder(5))) {
      ModelArtifacts.save(m, dir);
    }
    String json = Files.readString(dir.resolve(ModelArtifacts.SPEC_FILE), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("normalization");
    assertThat(ModelArtifacts.readSpec(dir).normalization()).isNull();
  }

  @Test
  void rejectsNormalizationOfTheWrongWidthOrWithZeroScale() {
    ModelSpec spec = ModelArtifactsTest.autoencoder(3);
    assertThatThrownBy(() -> spec.withNormalization(new ModelSpec.Normalization(List.of(0.0),
        List.of(1.0), List.of(1.0), 0))).isInstanceOf(ModelFormatException.class);
    assertThatThrownBy(() -> new ModelSpec.Normalization(List.of(0.0), List.of(0.0), List.of(1.0), 0))
        .isInstanceOf(ModelFormatException.class);
  }

  @Test
  void predictorWorksOnASingleRow() throws Exception {
    try (ModelArtifact m = ModelArtifacts.create(ModelArtifactsTest.autoencoder(3)
        .withNormalization(normalization()));
        Predictor<FeatureBatch, ScoreBatch> p = m.newPredictor()) {
      ScoreBatch s = p.predict(new FeatureBatch(new float[] {1, 2, 3, 4}, 1, 4));
      assertThat(s.rows()).isEqualTo(1);
      assertThat(s.attributions()).hasSize(4);
    }
  }
}
