package io.vigil.training.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The head and the labelled threshold, on scored rows built for the purpose (no engine needed). */
class SupervisedHeadTrainerTest {

  static final int COLS = 5;

  static ModelSpec spec() {
    return ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.AUTOENCODER, List.of(4)),
        new ModelSpec.Inputs(List.of("a", "b", "c", "d", "e"), "t", "fs-1"),
        new ModelSpec.ScoreScale(0.1, 1.0, 1.0), 7);
  }

  /**
   * Anomalies (every 12th row) score around 3 with their error concentrated on one feature; normal
   * rows score around 0 with the error spread out; the score alone overlaps.
   */
  static Scored rows(int n, long seed) {
    Random r = new Random(seed);
    float[] s = new float[n];
    float[] a = new float[n * COLS];
    boolean[] y = new boolean[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 12 == 5;
      s[i] = (float) ((y[i] ? 2.5 : 0.2) + r.nextGaussian() * 1.0);
      double sum = 0;
      double[] w = new double[COLS];
      for (int c = 0; c < COLS; c++) {
        w[c] = r.nextDouble() + (y[i] && c == 2 ? 6 : 0);
        sum += w[c];
      }
      for (int c = 0; c < COLS; c++) {
        a[i * COLS + c] = (float) (w[c] / sum);
      }
    }
    return new Scored(new ScoreBatch(s, new float[n], a, COLS), y);
  }

  record Scored(ScoreBatch batch, boolean[] labels) {}

  @Test
  void theHeadIsDeterministicAndSeparatesBetterThanTheScoreAlone() {
    Scored d = rows(600, 3);
    SupervisedHeadTrainer.Result a = new SupervisedHeadTrainer(HeadConfig.defaults()).fit(spec(), d.batch(), d.labels());
    SupervisedHeadTrainer.Result b = new SupervisedHeadTrainer(HeadConfig.defaults()).fit(spec(), d.batch(), d.labels());
    assertThat(a.headTrained()).isTrue();
    assertThat(a.spec()).isEqualTo(b.spec());
    assertThat(a.spec().outputs()).contains(ModelSpec.OUTPUT_PROBABILITY);
    assertThat(a.fitRows()).isEqualTo(420);
    assertThat(a.calibrationRows()).isEqualTo(180);

    // on fresh rows: the probability ranks anomalies above normal rows better than the score
    Scored fresh = rows(600, 4);
    ModelSpec.Head head = a.spec().head();
    double[] f = new double[head.inputCount()];
    double meanPAnomaly = 0;
    double meanPNormal = 0;
    int wrongByProbability = 0;
    int wrongByScore = 0;
    for (int i = 0; i < 600; i++) {
      head.inputs(fresh.batch().scores()[i], fresh.batch().attributions(), i, COLS, f);
      double p = head.probability(f);
      assertThat(p).isBetween(0.0, 1.0);
      if (fresh.labels()[i]) {
        meanPAnomaly += p / 50;
      } else {
        meanPNormal += p / 550;
      }
      wrongByProbability += (p >= head.probabilityThreshold()) != fresh.labels()[i] ? 1 : 0;
      wrongByScore += (fresh.batch().scores()[i] >= a.spec().scale().threshold()) != fresh.labels()[i] ? 1 : 0;
    }
    assertThat(meanPAnomaly).isGreaterThan(0.8);
    assertThat(meanPNormal).isLessThan(0.1);
    assertThat(wrongByProbability).isLessThan(wrongByScore);
  }

  @Test
  void theThresholdComesFromTheCalibrationRowsAndTheScaleIsKept() {
    Scored d = rows(600, 5);
    SupervisedHeadTrainer.Result r = new SupervisedHeadTrainer(HeadConfig.defaults()).fit(spec(), d.batch(), d.labels());
    assertThat(r.thresholdFromLabels()).isTrue();
    assertThat(r.spec().scale().center()).isEqualTo(0.1);
    assertThat(r.spec().scale().spread()).isEqualTo(1.0);
    // the F1-best threshold of these scores lies between the two classes' centres, not at the cold 1.0
    assertThat(r.spec().scale().threshold()).isBetween(1.0, 2.5).isNotEqualTo(1.0);
  }

  @Test
  void tooFewLabelsGiveNoHeadAndAThresholdWithoutAnAnomalyStays() {
    Scored d = rows(10, 6);
    boolean[] allNormal = new boolean[10];
    SupervisedHeadTrainer.Result r = new SupervisedHeadTrainer(HeadConfig.defaults()).fit(spec(), d.batch(), allNormal);
    assertThat(r.headTrained()).isFalse();
    assertThat(r.spec().head()).isNull();
    assertThat(r.spec().outputs()).doesNotContain(ModelSpec.OUTPUT_PROBABILITY);
    assertThat(r.thresholdFromLabels()).isFalse();
    assertThat(r.spec().scale().threshold()).isEqualTo(1.0);
    assertThat(r.note()).contains("no head").contains("threshold kept");
  }
}
