package io.vigil.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.registry.server.RegistryServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.ModelRegistry;
import org.mlflow.api.proto.Service;
import org.mlflow.tracking.MlflowClient;

class ConcurrencyAndRestartTest {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir Path dir;

  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void fiftyConcurrentVersionCreationsGetVersionsOneToFiftyAndSurviveARestart() throws Exception {
    concurrentVersionsSurviveARestart(() -> TestServers.start(dir, S3.s3()));
  }

  /** The same behaviour over any store: {@code start} opens a server over the same database each time. */
  static void concurrentVersionsSurviveARestart(Supplier<RegistryServer> start) throws Exception {
    String runId;
    String experimentId;
    try (RegistryServer server = start.get();
        MlflowClient setup = new MlflowClient(server.url())) {
      experimentId = setup.createExperiment("concurrency");
      runId = setup.createRun(experimentId).getRunId();
      setup.logMetric(runId, "f1", 0.9);
      setup.logParam(runId, "lr", "0.1");
      setup.sendPost("registered-models/create", "{\"name\":\"busy-model\"}");
      String source = "s3://vigil-models/mlflow/" + experimentId + "/" + runId + "/artifacts/model";

      int n = 50;
      ExecutorService pool = Executors.newFixedThreadPool(n);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(pool.submit(() -> {
          try (MlflowClient c = new MlflowClient(server.url())) {
            go.await();
            JsonNode created = JSON.readTree(c.sendPost("model-versions/create",
                "{\"name\":\"busy-model\",\"source\":\"" + source + "\",\"run_id\":\"" + runId + "\"}"));
            return created.at("/model_version/version").asText();
          }
        }));
      }
      go.countDown();
      List<Integer> versions = new ArrayList<>();
      for (Future<String> f : futures) {
        versions.add(Integer.parseInt(f.get(60, TimeUnit.SECONDS)));
      }
      pool.shutdown();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      assertThat(versions).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, n).boxed().toList());

      setup.sendPost("registered-models/alias", "{\"name\":\"busy-model\",\"alias\":\"champion\",\"version\":\"7\","
          + "\"actor\":\"alice\",\"reason\":\"best\"}");
      setup.sendPost("registered-models/alias", "{\"name\":\"busy-model\",\"alias\":\"champion\",\"version\":\"9\","
          + "\"actor\":\"bob\"}");
    }

    try (RegistryServer restarted = start.get();
        MlflowClient c = new MlflowClient(restarted.url())) {
      assertThat(c.searchModelVersions("name = 'busy-model'", 100, List.of()).getItems())
          .extracting(ModelRegistry.ModelVersion::getVersion).hasSize(50);
      assertThat(c.getModelVersion("busy-model", "50").getRunId()).isEqualTo(runId);
      Service.Run run = c.getRun(runId);
      assertThat(run.getData().getMetricsList()).extracting(Service.Metric::getKey).containsExactly("f1");
      assertThat(run.getData().getParamsList()).extracting(Service.Param::getValue).containsExactly("0.1");
      assertThat(c.getExperimentByName("concurrency")).map(Service.Experiment::getExperimentId).contains(experimentId);
      JsonNode champion = JSON.readTree(c.sendGet("registered-models/alias?name=busy-model&alias=champion"));
      assertThat(champion.at("/model_version/version").asText()).isEqualTo("9");
      JsonNode history = JSON.readTree(c.sendGet("registered-models/alias-history?name=busy-model&alias=champion"));
      assertThat(history.path("history")).hasSize(2);
      assertThat(history.path("history").get(0).path("version").asText()).isEqualTo("9");
      assertThat(history.path("history").get(0).path("previous_version").asText()).isEqualTo("7");
      assertThat(history.path("history").get(0).path("actor").asText()).isEqualTo("bob");
      assertThat(history.path("history").get(1).path("reason").asText()).isEqualTo("best");
      // The next version continues after the restart.
      JsonNode next = JSON.readTree(c.sendPost("model-versions/create",
          "{\"name\":\"busy-model\",\"source\":\"s3://vigil-models/mlflow/x\"}"));
      assertThat(next.at("/model_version/version").asText()).isEqualTo("51");
    }
  }
}
