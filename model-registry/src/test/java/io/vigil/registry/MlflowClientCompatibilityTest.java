package io.vigil.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.registry.server.RegistryServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.api.proto.ModelRegistry;
import org.mlflow.api.proto.Service;
import org.mlflow.tracking.ExperimentsPage;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.ModelVersionsPage;
import org.mlflow.tracking.RunsPage;

/** The official MLflow Java client drives the embedded server through every endpoint it can reach. */
class MlflowClientCompatibilityTest {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir static Path dir;

  static RegistryServer server;
  static MlflowClient client;
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = TestServers.start(dir, S3.s3());
    client = new MlflowClient(server.url());
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
  }

  static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  static HttpResponse<String> delete(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/2.0/mlflow/" + path))
        .header("Content-Type", "application/json")
        .method("DELETE", HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void experimentsCreateGetSearchUpdateDeleteRestore() {
    String id = client.createExperiment("compat-exp");
    Service.Experiment e = client.getExperiment(id);
    assertThat(e.getName()).isEqualTo("compat-exp");
    assertThat(e.getLifecycleStage()).isEqualTo("active");
    assertThat(e.getArtifactLocation()).isEqualTo("s3://vigil-models/mlflow/" + id);
    assertThat(e.getCreationTime()).isPositive();

    String withLocation = client.createExperiment(Service.CreateExperiment.newBuilder()
        .setName("compat-exp-located").setArtifactLocation("s3://vigil-models/mlflow/custom/place")
        .addTags(Service.ExperimentTag.newBuilder().setKey("team").setValue("sre")).build());
    Service.Experiment located = client.getExperiment(withLocation);
    assertThat(located.getArtifactLocation()).isEqualTo("s3://vigil-models/mlflow/custom/place");
    assertThat(located.getTagsList()).extracting(Service.ExperimentTag::getKey).contains("team");

    assertThat(client.getExperimentByName("compat-exp")).map(Service.Experiment::getExperimentId).contains(id);
    assertThat(client.getExperimentByName("no-such-experiment")).isEqualTo(Optional.empty());

    client.setExperimentTag(id, "owner", "vigil");
    assertThat(client.getExperiment(id).getTagsList()).extracting(Service.ExperimentTag::getValue).contains("vigil");

    client.renameExperiment(id, "compat-exp-renamed");
    assertThat(client.getExperiment(id).getName()).isEqualTo("compat-exp-renamed");

    ExperimentsPage found = client.searchExperiments("name LIKE 'compat-exp%'");
    assertThat(found.getItems()).extracting(Service.Experiment::getExperimentId).contains(id, withLocation);

    client.deleteExperiment(id);
    assertThat(client.getExperiment(id).getLifecycleStage()).isEqualTo("deleted");
    assertThat(client.searchExperiments("name = 'compat-exp-renamed'").getItems()).isEmpty();
    assertThat(client.searchExperiments("name = 'compat-exp-renamed'", Service.ViewType.DELETED_ONLY, 10, List.of())
        .getItems()).hasSize(1);
    client.restoreExperiment(id);
    assertThat(client.getExperiment(id).getLifecycleStage()).isEqualTo("active");

    assertThatThrownBy(() -> client.createExperiment("compat-exp-located"))
        .isInstanceOf(MlflowHttpException.class)
        .satisfies(t -> assertThat(((MlflowHttpException) t).getBodyMessage()).contains("RESOURCE_ALREADY_EXISTS"));
    assertThatThrownBy(() -> client.getExperiment("987654"))
        .isInstanceOf(MlflowHttpException.class)
        .satisfies(t -> assertThat(((MlflowHttpException) t).getStatusCode()).isEqualTo(404));
  }

  @Test
  void experimentSearchPagesThroughResults() {
    for (int i = 0; i < 5; i++) {
      client.createExperiment("paged-" + i);
    }
    ExperimentsPage first = client.searchExperiments("name LIKE 'paged-%'", Service.ViewType.ACTIVE_ONLY, 2,
        List.of("name ASC"));
    assertThat(first.getItems()).extracting(Service.Experiment::getName).containsExactly("paged-0", "paged-1");
    assertThat(first.hasNextPage()).isTrue();
    ExperimentsPage second = (ExperimentsPage) first.getNextPage();
    assertThat(second.getItems()).extracting(Service.Experiment::getName).containsExactly("paged-2", "paged-3");
    ExperimentsPage third = (ExperimentsPage) second.getNextPage();
    assertThat(third.getItems()).extracting(Service.Experiment::getName).containsExactly("paged-4");
    assertThat(third.hasNextPage()).isFalse();
  }

  @Test
  void runsLogParamsMetricsTagsBatchesAndHistory() {
    String exp = client.createExperiment("compat-runs");
    Service.RunInfo info = client.createRun(exp);
    String runId = info.getRunId();
    assertThat(info.getStatus()).isEqualTo(Service.RunStatus.RUNNING);
    assertThat(info.getArtifactUri()).isEqualTo("s3://vigil-models/mlflow/" + exp + "/" + runId + "/artifacts");

    client.logParam(runId, "lr", "0.01");
    client.logMetric(runId, "loss", 0.9, 1000, 0);
    client.logMetric(runId, "loss", 0.5, 2000, 1);
    client.logMetric(runId, "loss", 0.2, 3000, 2);
    client.setTag(runId, "stage", "train");
    client.setTag(runId, "temp", "x");
    client.deleteTag(runId, "temp");
    client.logBatch(runId,
        List.of(Service.Metric.newBuilder().setKey("auc").setValue(0.91).setTimestamp(4000).setStep(0).build()),
        List.of(Service.Param.newBuilder().setKey("epochs").setValue("5").build()),
        List.of(Service.RunTag.newBuilder().setKey("model").setValue("mlp").build()));

    Service.Run run = client.getRun(runId);
    assertThat(run.getData().getParamsList()).extracting(Service.Param::getKey).containsExactlyInAnyOrder("lr", "epochs");
    assertThat(run.getData().getMetricsList())
        .filteredOn(m -> m.getKey().equals("loss")).singleElement()
        .satisfies(m -> {
          assertThat(m.getValue()).isEqualTo(0.2);
          assertThat(m.getStep()).isEqualTo(2);
        });
    assertThat(run.getData().getTagsList()).extracting(Service.RunTag::getKey)
        .contains("stage", "model", "mlflow.runName").doesNotContain("temp");

    List<Service.Metric> history = client.getMetricHistory(runId, "loss");
    assertThat(history).extracting(Service.Metric::getStep).containsExactly(0L, 1L, 2L);
    assertThat(history).extracting(Service.Metric::getValue).containsExactly(0.9, 0.5, 0.2);

    assertThatThrownBy(() -> client.logParam(runId, "lr", "0.5"))
        .isInstanceOf(MlflowHttpException.class)
        .satisfies(t -> assertThat(((MlflowHttpException) t).getBodyMessage()).contains("INVALID_PARAMETER_VALUE"));

    client.setTerminated(runId, Service.RunStatus.FINISHED, 5000);
    assertThat(client.getRun(runId).getInfo().getStatus()).isEqualTo(Service.RunStatus.FINISHED);
    assertThat(client.getRun(runId).getInfo().getEndTime()).isEqualTo(5000);

    Service.RunInfo named = client.createRun(Service.CreateRun.newBuilder().setExperimentId(exp)
        .setRunName("second").setStartTime(10_000).build());
    assertThat(named.getRunName()).isEqualTo("second");

    client.deleteRun(named.getRunId());
    assertThat(client.getRun(named.getRunId()).getInfo().getLifecycleStage()).isEqualTo("deleted");
    assertThat(client.searchRuns(List.of(exp), "", Service.ViewType.ACTIVE_ONLY, 100).getItems())
        .extracting(r -> r.getInfo().getRunId()).containsExactly(runId);
    client.restoreRun(named.getRunId());
    assertThat(client.listRunInfos(exp)).hasSize(2);
  }

  @Test
  void runSearchFiltersOrdersAndPages() {
    String exp = client.createExperiment("compat-search");
    for (int i = 0; i < 5; i++) {
      Service.RunInfo r = client.createRun(Service.CreateRun.newBuilder().setExperimentId(exp)
          .setRunName("r" + i).setStartTime(1000 + i).build());
      client.logMetric(r.getRunId(), "rmse", 1.0 - i * 0.1);
      client.logParam(r.getRunId(), "parity", i % 2 == 0 ? "even" : "odd");
    }
    List<String> even = client.searchRuns(List.of(exp), "params.parity = 'even' and metrics.rmse < 0.95",
        Service.ViewType.ACTIVE_ONLY, 100).getItems().stream().map(r -> r.getInfo().getRunName()).sorted()
        .collect(Collectors.toList());
    assertThat(even).containsExactly("r2", "r4");

    RunsPage page = client.searchRuns(List.of(exp), "", Service.ViewType.ACTIVE_ONLY, 2, List.of("metrics.rmse ASC"));
    assertThat(page.getItems()).extracting(Service.Run::getInfo).extracting(Service.RunInfo::getRunName)
        .containsExactly("r4", "r3");
    RunsPage next = (RunsPage) page.getNextPage();
    assertThat(next.getItems()).extracting(Service.Run::getInfo).extracting(Service.RunInfo::getRunName)
        .containsExactly("r2", "r1");
    assertThat(((RunsPage) next.getNextPage()).getItems()).hasSize(1);
    assertThat(client.searchRuns(List.of(exp), "attributes.run_name = 'r3'", Service.ViewType.ACTIVE_ONLY, 10)
        .getItems()).hasSize(1);
  }

  @Test
  void registryEndpointsThroughTypedAndRawCalls() throws Exception {
    String exp = client.createExperiment("compat-registry");
    String runId = client.createRun(exp).getRunId();
    String source = "s3://vigil-models/mlflow/" + exp + "/" + runId + "/artifacts/model";

    JsonNode created = json(client.sendPost("registered-models/create",
        "{\"name\":\"compat-model\",\"description\":\"first\",\"tags\":[{\"key\":\"domain\",\"value\":\"aiops\"}]}"));
    assertThat(created.at("/registered_model/name").asText()).isEqualTo("compat-model");

    for (int i = 0; i < 3; i++) {
      JsonNode v = json(client.sendPost("model-versions/create",
          "{\"name\":\"compat-model\",\"source\":\"" + source + "\",\"run_id\":\"" + runId
              + "\",\"tags\":[{\"key\":\"n\",\"value\":\"" + i + "\"}]}"));
      assertThat(v.at("/model_version/version").asText()).isEqualTo(Integer.toString(i + 1));
    }

    ModelRegistry.RegisteredModel model = client.getRegisteredModel("compat-model");
    assertThat(model.getDescription()).isEqualTo("first");
    assertThat(model.getTagsList()).extracting(ModelRegistry.RegisteredModelTag::getKey).containsExactly("domain");

    ModelRegistry.ModelVersion v2 = client.getModelVersion("compat-model", "2");
    assertThat(v2.getSource()).isEqualTo(source);
    assertThat(v2.getRunId()).isEqualTo(runId);
    assertThat(v2.getStatus()).isEqualTo(ModelRegistry.ModelVersionStatus.READY);
    assertThat(client.getModelVersionDownloadUri("compat-model", "2")).isEqualTo(source);

    client.sendPost("model-versions/transition-stage",
        "{\"name\":\"compat-model\",\"version\":\"2\",\"stage\":\"Production\",\"archive_existing_versions\":true}");
    client.sendPost("model-versions/transition-stage",
        "{\"name\":\"compat-model\",\"version\":\"3\",\"stage\":\"Staging\"}");
    assertThat(client.getLatestVersions("compat-model", List.of("Production")))
        .extracting(ModelRegistry.ModelVersion::getVersion).containsExactly("2");
    assertThat(client.getLatestVersions("compat-model"))
        .extracting(ModelRegistry.ModelVersion::getVersion).containsExactlyInAnyOrder("1", "2", "3");
    assertThat(client.getModelVersion("compat-model", "2").getCurrentStage()).isEqualTo("Production");

    ModelVersionsPage versions = client.searchModelVersions("name = 'compat-model'", 2, List.of());
    assertThat(versions.getItems()).extracting(ModelRegistry.ModelVersion::getVersion).containsExactly("3", "2");
    assertThat(((ModelVersionsPage) versions.getNextPage()).getItems())
        .extracting(ModelRegistry.ModelVersion::getVersion).containsExactly("1");
    assertThat(client.searchModelVersions("run_id = '" + runId + "'").getItems()).hasSize(3);

    client.sendPatch("registered-models/update", "{\"name\":\"compat-model\",\"description\":\"second\"}");
    client.sendPatch("model-versions/update", "{\"name\":\"compat-model\",\"version\":\"1\",\"description\":\"v1\"}");
    assertThat(client.getRegisteredModel("compat-model").getDescription()).isEqualTo("second");
    assertThat(client.getModelVersion("compat-model", "1").getDescription()).isEqualTo("v1");

    client.sendPost("registered-models/set-tag", "{\"name\":\"compat-model\",\"key\":\"owner\",\"value\":\"sre\"}");
    client.sendPost("model-versions/set-tag",
        "{\"name\":\"compat-model\",\"version\":\"1\",\"key\":\"checked\",\"value\":\"yes\"}");
    assertThat(client.getModelVersion("compat-model", "1").getTagsList())
        .extracting(ModelRegistry.ModelVersionTag::getKey).contains("checked");

    client.sendPost("registered-models/alias", "{\"name\":\"compat-model\",\"alias\":\"champion\",\"version\":\"2\"}");
    JsonNode byAlias = json(client.sendGet("registered-models/alias?name=compat-model&alias=champion"));
    assertThat(byAlias.at("/model_version/version").asText()).isEqualTo("2");
    assertThat(client.getModelVersion("compat-model", "2").getAliasesList()).containsExactly("champion");
    assertThat(client.getRegisteredModel("compat-model").getAliasesList())
        .extracting(ModelRegistry.RegisteredModelAlias::getAlias).containsExactly("champion");

    JsonNode search = json(client.sendGet("registered-models/search?filter=name%20LIKE%20%27compat-%25%27&max_results=10"));
    assertThat(search.path("registered_models")).extracting(n -> n.path("name").asText()).contains("compat-model");

    JsonNode renamed = json(client.sendPost("registered-models/rename",
        "{\"name\":\"compat-model\",\"new_name\":\"compat-model-2\"}"));
    assertThat(renamed.at("/registered_model/name").asText()).isEqualTo("compat-model-2");
    assertThat(client.getModelVersion("compat-model-2", "3").getName()).isEqualTo("compat-model-2");
    JsonNode history = json(client.sendGet("registered-models/alias-history?name=compat-model-2"));
    assertThat(history.path("history")).hasSize(1);

    assertThat(delete("registered-models/delete-tag", "{\"name\":\"compat-model-2\",\"key\":\"owner\"}").statusCode()).isEqualTo(200);
    assertThat(delete("model-versions/delete-tag",
        "{\"name\":\"compat-model-2\",\"version\":\"1\",\"key\":\"checked\"}").statusCode()).isEqualTo(200);
    assertThat(client.getModelVersion("compat-model-2", "1").getTagsList())
        .extracting(ModelRegistry.ModelVersionTag::getKey).doesNotContain("checked");
    assertThat(delete("registered-models/alias", "{\"name\":\"compat-model-2\",\"alias\":\"champion\"}").statusCode()).isEqualTo(200);
    assertThat(delete("model-versions/delete", "{\"name\":\"compat-model-2\",\"version\":\"1\"}").statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> client.getModelVersion("compat-model-2", "1"))
        .isInstanceOf(MlflowHttpException.class)
        .satisfies(t -> assertThat(((MlflowHttpException) t).getStatusCode()).isEqualTo(404));
    assertThat(delete("registered-models/delete", "{\"name\":\"compat-model-2\"}").statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> client.getRegisteredModel("compat-model-2"))
        .isInstanceOf(MlflowHttpException.class)
        .satisfies(t -> assertThat(((MlflowHttpException) t).getBodyMessage()).contains("RESOURCE_DOES_NOT_EXIST"));
  }

  @Test
  void unknownEndpointIsAnMlflowError() throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/2.0/mlflow/nope")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(json(r.body()).path("error_code").asText()).isEqualTo("ENDPOINT_NOT_FOUND");
  }
}
