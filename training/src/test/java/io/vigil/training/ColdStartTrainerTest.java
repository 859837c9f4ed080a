package io.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Split;
import io.vigil.features.FeatureSet;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelSpec;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cold-start autoencoder on a slice of real SMD data, with the real PyTorch engine. */
class ColdStartTrainerTest {

  static final ColdStartConfig SMALL = new ColdStartConfig(List.of(16, 4, 16), 2, 64, 1e-3, 7, 0.2, 0.99,
      10, 0.1, 0.5);

  static FeatureSet set;
  static FeatureMatrix train;
  static FeatureMatrix later;

  @TempDir Path dir;

  @BeforeAll
  static void data() {
    Dataset d = Dataset.open(TestData.smdRoot(),
        DatasetOptions.defaults().withSplit(Split.TRAIN).withEntities(Set.of("machine-1-2")));
    EntitySeries s = d.entities().get(0);
    set = FeatureSets.forMetrics(d.format(), s.metricNames());
    FeatureMatrix m = FeatureMatrix.of(set, s, 0, 1500);
    train = m.slice(0, 1200);
    later = m.slice(1200, 1500);
  }

  static float[] trainAndScore(ColdStartConfig c) {
    try (TrainedModel t = new ColdStartTrainer(c).train(train, set.id(), set.version(), EpochListener.none());
        Scorer s = new Scorer(t.artifact())) {
      return s.scores(later);
    }
  }

  @Test
  void trainingIsDeterministicForASeed() {
    float[] a = trainAndScore(SMALL);
    float[] b = trainAndScore(SMALL);
    assertThat(a).containsExactly(b);
    assertThat(trainAndScore(SMALL.withSeed(8))).isNotEqualTo(a);
  }

  @Test
  void scoresArePutOnTheCommonScaleByTheHeldOutRows() {
    try (TrainedModel t = new ColdStartTrainer(SMALL).train(train, set.id(), set.version(), EpochListener.none())) {
      float[] held = t.validationScores().clone();
      Arrays.sort(held);
      assertThat(held).hasSize(240);
      double median = ColdStartTrainer.quantile(toDouble(held), 0.5);
      double p99 = ColdStartTrainer.quantile(toDouble(held), 0.99);
      assertThat(median).isCloseTo(0, within(1e-4));
      assertThat(p99).isCloseTo(1, within(1e-3));
      assertThat(t.artifact().spec().scale().threshold()).isCloseTo(1, within(1e-3));
      assertThat(t.epochLosses()).hasSize(2);
      ModelSpec spec = t.artifact().spec();
      assertThat(spec.normalization()).isNotNull();
      assertThat(spec.inputs().featureSetVersion()).isEqualTo(set.version());
      assertThat(spec.normalization().errorScale()).allMatch(e -> e >= 0.1);
      assertThat(spec.normalization().mix().maxZWeight()).isEqualTo(0.5);
    }
  }

  /** The ADR 0008 option: reconstruction error mixed with the mean squared standardised input. */
  static final ColdStartConfig SMALL_Z2 = new ColdStartConfig(List.of(16, 4, 16), 2, 64, 1e-3, 7, 0.2, 0.99,
      10, 1.0, 0.75, ModelSpec.MixComponent.MEAN_SQUARED_Z, 100);

  @Test
  void meanSquaredZMixIsDeterministicOnTheCommonScaleAndSurvivesSaveAndLoad() {
    assertThat(ColdStartConfig.defaults().maxZWeight()).as("the default is ADR 0001's score").isZero();
    float[] a = trainAndScore(SMALL_Z2);
    assertThat(trainAndScore(SMALL_Z2)).containsExactly(a);
    float[] before;
    try (TrainedModel t = new ColdStartTrainer(SMALL_Z2).train(train, set.id(), set.version(), EpochListener.none());
        Scorer s = new Scorer(t.artifact())) {
      ModelSpec.ScoreMix mix = t.artifact().spec().normalization().mix();
      assertThat(mix.component()).isEqualTo(ModelSpec.MixComponent.MEAN_SQUARED_Z);
      assertThat(mix.zClip()).isEqualTo(100.0);
      assertThat(mix.maxZWeight()).isEqualTo(0.75);
      float[] held = t.validationScores().clone();
      Arrays.sort(held);
      assertThat(ColdStartTrainer.quantile(toDouble(held), 0.5)).isCloseTo(0, within(1e-4));
      assertThat(ColdStartTrainer.quantile(toDouble(held), 0.99)).isCloseTo(1, within(1e-3));
      before = s.scores(later);
      assertThat(before).containsExactly(a);
      ModelArtifacts.save(t.artifact(), dir);
    }
    try (ModelArtifact loaded = ModelArtifacts.load(dir); Scorer s = new Scorer(loaded)) {
      assertThat(s.scores(later)).containsExactly(before);
    }
  }

  @Test
  void savedModelLoadsThroughTheModelFormatAndScoresIdentically() {
    float[] before;
    try (TrainedModel t = new ColdStartTrainer(SMALL).train(train, set.id(), set.version(), EpochListener.none());
        Scorer s = new Scorer(t.artifact())) {
      before = s.scores(later);
      ModelArtifacts.save(t.artifact(), dir);
    }
    try (ModelArtifact loaded = ModelArtifacts.load(dir); Scorer s = new Scorer(loaded)) {
      assertThat(s.scores(later)).containsExactly(before);
    }
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
