package io.vigil.cli.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cli.VigilConfig;
import io.vigil.cli.bench.LoopBench;
import io.vigil.cli.flink.StandaloneFlink;
import io.vigil.training.watch.RetrainDecision;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product's promise on one SMD machine (the bundled excerpt of machine-1-2): every part of the
 * loop started by the launcher's own code, the simulated annotator answering label requests in the
 * labeling UI, a retrain registered and promoted by the watcher (automatic policy), serving hot
 * swapping to it without a failed request, and the new version's live predictions better than the
 * cold-start model's. The four Flink jobs run from their jars on a standalone Flink cluster (a
 * JobManager and a TaskManager in JVMs of their own, Flink's class path only, child-first class
 * loading, checkpoints on S3 through Flink's S3 plugin), as they run in production; the embedded
 * MiniCluster of a plain {@code vigil up} is covered by UpCommandTest.
 */
class ClosedLoopIT {

  @Test
  void labelsRetrainPromoteSwapAndThePredictionsAfterTheSwapAreBetter(@TempDir Path tmp) throws Exception {
    Path repo = Path.of(System.getProperty("vigil.repo.dir", "..")).toAbsolutePath().normalize();
    System.setProperty("vigil.home", repo.toString());
    Path data = LoopData.oneEntity(repo.resolve("demo/smd"), "machine-1-2", tmp.resolve("data"));

    // the S3 server's port is chosen here: the Flink cluster's S3 file system is configured with it at start
    VigilConfig embedded = LoopBench.config(tmp.resolve("work"), 20);
    VigilConfig.S3 s = embedded.s3();
    VigilConfig.S3 s3 = new VigilConfig.S3(true, null, StandaloneFlink.freePort(), s.accessKey(), s.secretKey(),
        s.region(), s.buckets());
    LoopRun.Result r;
    try (StandaloneFlink flink = StandaloneFlink.start(
        repo.resolve("cli/target/standalone-flink-" + System.currentTimeMillis()),
        repo.resolve("cli/target/flink-cluster.classpath"), 8, repo.resolve("cli/target/flink-plugins"),
        new StandaloneFlink.S3("http://127.0.0.1:" + s3.port(), s3.accessKey(), s3.secretKey()))) {
      VigilConfig config = new VigilConfig(embedded.workDir(), embedded.kafka(), s3,
          new VigilConfig.Flink(false, flink.restAddress().toString(), 0, embedded.flink().slots(), true),
          embedded.registry(), embedded.labeling(), embedded.loop(), embedded.topics(), embedded.demo());
      try (LoopRun run = new LoopRun(config,
          new LoopRun.Settings(data, 4400, Duration.ofMinutes(5), Duration.ofMinutes(3)))) {
        r = run.run();
      }
      // the four submissions left no jar behind in the JobManager's upload directory
      String jars = HttpClient.newHttpClient().send(HttpRequest.newBuilder(flink.restAddress().resolve("/jars")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(jars).contains("\"files\":[]");
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
