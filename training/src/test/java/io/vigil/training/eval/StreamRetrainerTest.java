package io.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.selection.Strategy;
import io.vigil.training.ColdStartConfig;
import io.vigil.training.TestData;
import io.vigil.training.TrainingConfig;
import io.vigil.training.watch.WatchConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retraining inside the prequential evaluation, on a small slice of one SMD machine. */
class StreamRetrainerTest {

  @TempDir Path dir;

  private static TrainingConfig config(double margin) {
    WatchConfig d = WatchConfig.defaults();
    WatchConfig w = new WatchConfig(d.kafka(), new WatchConfig.Triggers(10, true, 0, 600, 1000),
        new WatchConfig.Data(50_000, 0.3, 200, 10),
        new WatchConfig.Promotion("auto", margin, "champion", "challenger", "eval"), d.workDir());
    return TrainingConfig.defaults()
        .withModel(new ColdStartConfig(List.of(16, 4, 16), 2, 64, 1e-3, 3, 0.2, 0.99, 10, 1.0, 0.0))
        .withWatch(w);
  }

  @Test
  void retrainsOnNewAnswersWithTheWatchersHysteresisAndPromotesByTheMargin() {
    Path data = TestData.smdSlice(dir.resolve("smd"), "machine-1-2", 1500, 3000);
    // margin -1: every candidate that can be trained and judged (an anomaly in its holdout) is "better"
    EvalReport always = new Evaluation(config(-1), Strategy.UNCERTAINTY, 60, 0, true).run(data, Set.of(), r -> { });
    EntityResult a = always.entities().get(0);
    assertThat(a.queries()).isPositive();
    // one run per 10 answers at most, and never two within 600 s (10 windows of one minute)
    assertThat(a.retrainRuns()).isBetween(1, (int) a.queries() / 10);
    assertThat(a.promotions()).isLessThanOrEqualTo(a.retrainRuns());

    // margin 1: nothing can be better by a whole F1 point, the cold-start model scores throughout
    EvalReport never = new Evaluation(config(1), Strategy.UNCERTAINTY, 60, 0, true).run(data, Set.of(), r -> { });
    EntityResult n = never.entities().get(0);
    assertThat(n.retrainRuns()).isPositive();
    assertThat(n.promotions()).isZero().isLessThanOrEqualTo(a.promotions());
    EvalReport off = new Evaluation(config(1), Strategy.UNCERTAINTY, 60, 0, false).run(data, Set.of(), r -> { });
    assertThat(off.entities().get(0).retrainRuns()).isZero();
    assertThat(n.f1Best()).isEqualTo(off.entities().get(0).f1Best());

    // deterministic for the seed, retraining included
    EvalReport again = new Evaluation(config(-1), Strategy.UNCERTAINTY, 60, 0, true).run(data, Set.of(), r -> { });
    assertThat(again.entities().get(0).f1Best()).isEqualTo(a.f1Best());
    assertThat(again.entities().get(0).promotions()).isEqualTo(a.promotions());
  }
}
