package io.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Row;
import io.vigil.datasets.Split;
import io.vigil.features.MetricAttributions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eval's own path from a prediction log to the report's figures ({@link EntityEvaluator#metrics}),
 * on a ten-row series in the SMD layout, against values worked out by hand: the labels and root
 * causes read from the files, each window's own flag, and the point-adjusted figure beside the
 * unadjusted one.
 */
class EntityMetricsTest {

  @TempDir Path dir;

  @Test
  void aTinySeriesGivesTheHandComputedFigures() throws Exception {
    Path d = dir.resolve("tiny");
    for (String sub : List.of("train", "test", "test_label", "interpretation_label")) {
      Files.createDirectories(d.resolve(sub));
    }
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      rows.append("0.1,0.2\n");
    }
    Files.writeString(d.resolve("train/m.txt"), rows);
    Files.writeString(d.resolve("test/m.txt"), rows);
    // anomalous test rows 3, 4, 5 (one event, root cause: the first metric) and 8 (a second event)
    Files.writeString(d.resolve("test_label/m.txt"), "0\n0\n0\n1\n1\n1\n0\n0\n1\n0\n");
    Files.writeString(d.resolve("interpretation_label/m.txt"), "3-6:1\n");
    EntitySeries series = Dataset.open(d, DatasetOptions.defaults().withSplit(Split.ALL)).entities().get(0);
    List<Long> test = new ArrayList<>();
    for (Iterator<Row> it = series.rows(); it.hasNext(); ) {
      Row r = it.next();
      if (series.label(r.sequence()) != null) {
        test.add(r.sequence());
      }
    }
    assertThat(test).hasSize(10);

    // the model's scores; flagged at its operating threshold 0.5: rows 3 and 8
    double[] score = {0.1, 0.2, 0.3, 0.9, 0.4, 0.2, 0.1, 0.15, 0.8, 0.05};
    // attributions over the two metrics: the root cause (metric 1) ranks first in rows 3 and 5, not in 4
    float[][] attributions = new float[10][];
    for (int i = 0; i < 10; i++) {
      attributions[i] = i == 4 ? new float[] {0.2f, 0.8f} : new float[] {0.7f, 0.3f};
    }
    List<Prediction> log = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      log.add(new Prediction(test.get(i), score[i], score[i] >= 0.5, attributions[i]));
    }
    MetricAttributions fold = new MetricAttributions(series.metricNames(), List.of());
    EntityResult r = EntityEvaluator.metrics(series, log, fold, 0.5, 7, 0.0, 42);

    assertThat(r.rows()).isEqualTo(10);
    assertThat(r.anomalies()).isEqualTo(4);
    // at 0.5: TP 2 (rows 3, 8), FP 0, FN 2 -> P 1, R 1/2
    assertThat(r.f1Operating()).isCloseTo(2.0 / 3, within(1e-9));
    // best at 0.4 (rows 3, 8, 4): P 1, R 3/4 -> 6/7; (at 0.2 the tie flags rows 1, 2, 5 too: 0.8)
    assertThat(r.f1Best()).isCloseTo(6.0 / 7, within(1e-9));
    // events {3,4,5} and {8}; predicted runs {3} and {8}: recall 1, precision 1
    assertThat(r.f1Event()).isCloseTo(1.0, within(1e-9));
    // AP: recall steps 1/4 at P 1 (0.9, 0.8, 0.4) and the last 1/4 at P 4/6 (0.2)
    assertThat(r.prAuc()).isCloseTo(0.75 + 0.25 * 4 / 6, within(1e-9));
    // point-adjusted: at 0.8, row 3 credits its whole event: TP 4, FP 0
    assertThat(r.f1Pa()).isCloseTo(1.0, within(1e-9)).isGreaterThan(r.f1Best());
    assertThat(r.f1PaRandom()).isBetween(0.0, 1.0);
    // root cause {metric 1} in the top floor(1.5 * 1) = 1 metric: rows 3 and 5 hit, row 4 misses
    assertThat(r.hitrate150()).isCloseTo(2.0 / 3, within(1e-9));
    assertThat(r.queries()).isEqualTo(7);
  }
}
