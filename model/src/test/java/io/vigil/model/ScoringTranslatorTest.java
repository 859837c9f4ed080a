package io.vigil.model;

import static io.vigil.model.ModelArtifactsTest.autoencoder;
import static io.vigil.model.ModelArtifactsTest.batch;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.inference.Predictor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The translator's reused input buffers, its Java-side pre- and post-processing and its optional
 * attributions change nothing in the answers but the last bits of a sum: one predictor scoring
 * batches of changing sizes gives what the previous translator (every step on the engine, a fresh
 * direct buffer per call) gives, for every kind of spec, to a relative 1e-5.
 */
class ScoringTranslatorTest {

  static List<ModelSpec> specs() {
    ModelSpec plain = autoencoder(3);
    ModelSpec normalized = plain.withNormalization(NormalizationTest.normalization());
    ModelSpec mixed = plain.withNormalization(NormalizationTest.normalization()
        .withMix(new ModelSpec.ScoreMix(0.5, 1, 2, 3, 4)));
    ModelSpec headed = normalized.withHead(SupervisedHeadTest.head());
    ModelSpec mlp = ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.MLP, List.of(5)),
        new ModelSpec.Inputs(List.of("a", "b", "c", "d"), "t", "v"), ModelSpec.ScoreScale.identity(0.5), 3);
    return List.of(plain, normalized, mixed, headed, mlp);
  }

  @Test
  void oneReusedPredictorScoresBitForBitLikeThePreviousTranslator() throws Exception {
    int[] sizes = {3, 64, 1, 200, 7, 64};
    for (ModelSpec spec : specs()) {
      try (ModelArtifact m = ModelArtifacts.create(spec);
          Predictor<FeatureBatch, ScoreBatch> current = m.newPredictor();
          Predictor<FeatureBatch, ScoreBatch> previous = m.model().newPredictor(new PreviousScoringTranslator(spec))) {
        for (int i = 0; i < sizes.length; i++) {
          FeatureBatch b = batch(sizes[i], 4, 100 + i);
          ScoreBatch expected = previous.predict(b);
          ScoreBatch got = current.predict(b);
          String what = spec.architecture() + ", batch " + i;
          assertClose(what + " scores", got.scores(), expected.scores());
          assertClose(what + " uncertainty", got.uncertainty(), expected.uncertainty());
          if (expected.attributions() == null) {
            assertThat(got.attributions()).isNull();
          } else {
            assertClose(what + " attributions", got.attributions(), expected.attributions());
          }
          if (expected.probability() == null) {
            assertThat(got.probability()).isNull();
          } else {
            assertClose(what + " probability", got.probability(), expected.probability());
          }
          assertThat(b.values()).containsExactly(batch(sizes[i], 4, 100 + i).values());
        }
      }
    }
  }

  /** Equal to a relative 1e-5 (absolute near zero). */
  static void assertClose(String what, float[] got, float[] expected) {
    assertThat(got).as(what).hasSameSizeAs(expected);
    for (int k = 0; k < got.length; k++) {
      assertThat((double) got[k]).as("%s [%d]", what, k)
          .isCloseTo(expected[k], org.assertj.core.api.Assertions.within(1e-5 * Math.max(1, Math.abs(expected[k]))));
    }
  }

  @Test
  void attributionsAreLeftOutOnlyWhenNotAskedForAndTheHeadDoesNotNeedThem() throws Exception {
    for (ModelSpec spec : specs()) {
      try (ModelArtifact m = ModelArtifacts.create(spec);
          Predictor<FeatureBatch, ScoreBatch> p = m.newPredictor()) {
        FeatureBatch full = batch(9, 4, 5);
        FeatureBatch lean = new FeatureBatch(full.values(), 9, 4, false);
        ScoreBatch with = p.predict(full);
        ScoreBatch without = p.predict(lean);
        assertThat(without.scores()).containsExactly(with.scores());
        assertThat(without.uncertainty()).containsExactly(with.uncertainty());
        if (spec.head() != null) {
          assertThat(without.attributions()).containsExactly(with.attributions());
          assertThat(without.probability()).containsExactly(with.probability());
        } else {
          assertThat(without.attributions()).isNull();
        }
      }
    }
  }
}
