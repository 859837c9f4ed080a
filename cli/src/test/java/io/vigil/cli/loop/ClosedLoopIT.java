package io.vigil.cli.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cli.bench.LoopBench;
import io.vigil.training.watch.RetrainDecision;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product's promise on one SMD machine (the bundled excerpt of machine-1-2): every part of the
 * loop started by the launcher's own code, the simulated annotator answering label requests in the
 * labeling UI, a retrain registered and promoted by the watcher (automatic policy), serving hot
 * swapping to it without a failed request, and the new version's live predictions better than the
 * cold-start model's.
 */
class ClosedLoopIT {

  @Test
  void labelsRetrainPromoteSwapAndThePredictionsAfterTheSwapAreBetter(@TempDir Path tmp) throws Exception {
    Path repo = Path.of(System.getProperty("vigil.repo.dir", "..")).toAbsolutePath().normalize();
    System.setProperty("vigil.home", repo.toString());
    Path data = LoopData.oneEntity(repo.resolve("demo/smd"), "machine-1-2", tmp.resolve("data"));

    LoopRun.Result r;
    try (LoopRun run = new LoopRun(LoopBench.config(tmp.resolve("work"), 20),
        new LoopRun.Settings(data, 4400, Duration.ofMinutes(5), Duration.ofMinutes(3)))) {
      r = run.run();
    }

    // label requests reached the UI's queue (the annotator took them from there) and labels reached Kafka
    assertThat(r.labelRequests()).isPositive();
    assertThat(r.labels()).isPositive();
    assertThat(r.labelEvents()).isGreaterThanOrEqualTo(r.labels());
    // a retrain registered a new version and the automatic policy promoted it; serving swapped to it
    assertThat(r.newVersion()).isNotEqualTo(r.firstVersion());
    assertThat(r.decisions()).anyMatch(d -> d.outcome() == RetrainDecision.Outcome.PROMOTED
        && d.version().equals(r.newVersion()));
    assertThat(r.failedRequests()).isZero();
    // the predictions made after the swap are better than those before it, on the same machine
    assertThat(r.afterNew().windows()).isPositive();
    assertThat(r.afterNew().f1())
        .as("F1 after the swap (v%s) %.3f vs before it (v%s) %.3f; v%s on the after-swap windows: %.3f",
            r.newVersion(), r.afterNew().f1(), r.firstVersion(), r.before().f1(), r.firstVersion(),
            r.afterOld().f1())
        .isGreaterThan(r.before().f1());
  }
}
