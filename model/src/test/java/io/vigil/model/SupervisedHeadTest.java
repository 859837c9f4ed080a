package io.vigil.model;

import static io.vigil.model.ModelArtifactsTest.autoencoder;
import static io.vigil.model.ModelArtifactsTest.batch;
import static io.vigil.model.ModelArtifactsTest.score;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional supervised head in {@code model.json} and in the translator, on the real engine. */
class SupervisedHeadTest {

  @TempDir Path dir;

  static ModelSpec.Head head() {
    return new ModelSpec.Head(2, List.of(0.5, 0.4, 0.2), List.of(1.0, 0.2, 0.1), List.of(2.0, -0.5, 0.3),
        -1.0, 1.2, -0.3, 0.4);
  }

  @Test
  void aModelWithAHeadGivesACalibratedProbabilityAndEntropyAsUncertainty() throws Exception {
    ModelSpec spec = autoencoder(42).withHead(head());
    assertThat(spec.outputs()).containsExactly("score", "uncertainty", "attributions", "probability");
    try (ModelArtifact m = ModelArtifacts.create(spec)) {
      FeatureBatch b = batch(4, 4, 5);
      ScoreBatch s = score(m, b);
      assertThat(s.probability()).hasSize(4);
      double[] f = new double[3];
      for (int r = 0; r < 4; r++) {
        head().inputs(s.scores()[r], s.attributions(), r, 4, f);
        // the two largest attributions of the row, in decreasing order
        assertThat(f[1]).isGreaterThanOrEqualTo(f[2]);
        double p = ModelSpec.Head.sigmoid(1.2 * head().logit(f) - 0.3);
        assertThat(s.probability()[r]).isCloseTo((float) p, Offset.offset(1e-6f));
        assertThat(s.uncertainty()[r]).isCloseTo((float) ModelSpec.Head.entropy(p), Offset.offset(1e-6f));
        assertThat(s.uncertainty()[r]).isBetween(0f, 1f);
      }
    }
  }

  @Test
  void saveAndLoadKeepTheHeadAndTheProbabilitiesIdentical() throws Exception {
    ModelSpec spec = autoencoder(7).withHead(head());
    FeatureBatch b = batch(6, 4, 9);
    ScoreBatch before;
    try (ModelArtifact m = ModelArtifacts.create(spec)) {
      before = score(m, b);
      ModelArtifacts.save(m, dir);
    }
    assertThat(Files.readString(dir.resolve("model.json"))).contains("\"head\"", "\"probability\"");
    try (ModelArtifact loaded = ModelArtifacts.load(dir)) {
      assertThat(loaded.spec()).isEqualTo(spec);
      ScoreBatch after = score(loaded, b);
      assertThat(after.probability()).containsExactly(before.probability());
      assertThat(after.scores()).containsExactly(before.scores());
    }
  }

  @Test
  void aSpecWrittenWithoutAHeadStillLoadsAndGivesNoProbability() throws Exception {
    try (ModelArtifact m = ModelArtifacts.create(autoencoder(3))) {
      ModelArtifacts.save(m, dir);
    }
    String json = Files.readString(dir.resolve("model.json"));
    assertThat(json).doesNotContain("head").doesNotContain("probability");
    try (ModelArtifact loaded = ModelArtifacts.load(dir)) {
      assertThat(loaded.spec().hasHead()).isFalse();
      ScoreBatch s = score(loaded, batch(2, 4, 1));
      assertThat(s.probability()).isNull();
      assertThat(s.uncertainty()[0]).isCloseTo(
          (float) loaded.spec().scale().uncertainty(s.scores()[0]), Offset.offset(1e-6f));
    }
  }

  @Test
  void refusesAProbabilityOutputWithoutAHeadAndAHeadOfTheWrongWidth() {
    ModelSpec plain = autoencoder(1);
    assertThatThrownBy(() -> new ModelSpec(1, plain.architecture(), plain.inputs(),
        List.of("score", "uncertainty", "attributions", "probability"), plain.scale(), 1, null, null))
        .isInstanceOf(ModelFormatException.class);
    assertThatThrownBy(() -> new ModelSpec.Head(2, List.of(0.0), List.of(1.0), List.of(1.0), 0, 1, 0, 0.5))
        .isInstanceOf(ModelFormatException.class).hasMessageContaining("1 + topErrors");
    assertThatThrownBy(() -> autoencoder(1).withHead(new ModelSpec.Head(5, List.of(0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        List.of(1.0, 1.0, 1.0, 1.0, 1.0, 1.0), List.of(1.0, 1.0, 1.0, 1.0, 1.0, 1.0), 0, 1, 0, 0.5)))
        .isInstanceOf(ModelFormatException.class).hasMessageContaining("exceeds");
  }
}
