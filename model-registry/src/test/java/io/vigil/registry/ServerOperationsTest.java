package io.vigil.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.registry.client.AliasChange;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
import io.vigil.registry.server.RegistryServerConfig.AuthMode;
import io.vigil.schemas.ModelEvent;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/** Health, readiness, metrics, authentication on every route, and who moved an alias. */
class ServerOperationsTest {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir Path dir;

  static final ObjectMapper JSON = new ObjectMapper();

  static String basic(String user, String password) {
    return "Authorization: Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void servesHealthReadinessAndPrometheusMetrics() throws Exception {
    try (RegistryServer server = TestServers.start(dir, S3.s3())) {
      assertThat(RawHttp.send(server.port(), "GET", "/health", null).status()).isEqualTo(200);
      RawHttp.Response ready = RawHttp.send(server.port(), "GET", "/ready", null);
      assertThat(ready.status()).isEqualTo(200);
      assertThat(JSON.readTree(ready.body()).path("database").asText()).isEqualTo("up");
      RawHttp.send(server.port(), "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", null);
      RawHttp.Response metrics = RawHttp.send(server.port(), "GET", "/metrics", null);
      assertThat(metrics.status()).isEqualTo(200);
      assertThat(metrics.body()).contains("vigil_registry_http_requests_total")
          .contains("route=\"/api/2.0/mlflow/experiments/get\"")
          .contains("jvm_memory_used_bytes");
    }
  }

  @Test
  void basicAuthGuardsEveryRouteAndNamesTheActor() throws Exception {
    RegistryServerConfig cfg = TestServers.config(dir, S3.s3()).withAuth(
        new RegistryServerConfig.Auth(AuthMode.BASIC, Map.of("alice", "s3cret-pass"), Map.of()));
    try (RegistryServer server = RegistryServer.start(cfg)) {
      for (String route : List.of("/api/2.0/mlflow/experiments/get?experiment_id=0", "/health", "/metrics",
          "/api/2.0/mlflow-artifacts/artifacts?path=", "/api/2.0/mlflow/registered-models/alias-history?name=x")) {
        RawHttp.Response r = RawHttp.send(server.port(), "GET", route, null);
        assertThat(r.status()).as(route).isEqualTo(401);
        assertThat(JSON.readTree(r.body()).path("error_code").asText()).isEqualTo("UNAUTHENTICATED");
      }
      assertThat(RawHttp.send(server.port(), "GET", "/health", null, basic("alice", "wrong")).status()).isEqualTo(401);
      assertThat(RawHttp.send(server.port(), "GET", "/health", null, basic("alice", "s3cret-pass")).status()).isEqualTo(200);

      try (MlflowClient c = new MlflowClient(new BasicMlflowHostCreds(server.url(), "alice", "s3cret-pass"))) {
        String exp = c.createExperiment("authed");
        String run = c.createRun(exp).getRunId();
        c.sendPost("registered-models/create", "{\"name\":\"guarded\"}");
        c.sendPost("model-versions/create", "{\"name\":\"guarded\",\"source\":\"s3://vigil-models/mlflow/" + exp
            + "/" + run + "/artifacts/m\"}");
        // A claimed actor does not override the authenticated user.
        c.sendPost("registered-models/alias", "{\"name\":\"guarded\",\"alias\":\"champion\",\"version\":\"1\","
            + "\"actor\":\"mallory\"}");
        JsonNode h = JSON.readTree(c.sendGet("registered-models/alias-history?name=guarded"));
        assertThat(h.at("/history/0/actor").asText()).isEqualTo("alice");
      }
    }
  }

  @Test
  void bearerAuthAndOurClientWithAToken() throws Exception {
    RegistryServerConfig cfg = TestServers.config(dir, S3.s3()).withAuth(
        new RegistryServerConfig.Auth(AuthMode.BEARER, Map.of(), Map.of("tok-123", "ci-bot")));
    List<ModelEvent> events = new CopyOnWriteArrayList<>();
    try (RegistryServer server = RegistryServer.start(cfg);
        RegistryClient client = new RegistryClient(ClientSettings.of(server.url(), S3.s3().endpoint(),
            S3.s3().accessKey(), S3.s3().secretKey()).withToken("tok-123"), events::add, Clock.systemUTC())) {
      assertThat(RawHttp.send(server.port(), "GET", "/health", null, "Authorization: Bearer nope").status()).isEqualTo(401);
      assertThat(RawHttp.send(server.port(), "GET", "/health", null, "Authorization: Bearer tok-123").status()).isEqualTo(200);
      String exp = client.experimentId("bearer");
      String run = client.startRun(exp, "r").runId();
      client.mlflow().sendPost("registered-models/create", "{\"name\":\"tokened\"}");
      client.mlflow().sendPost("model-versions/create", "{\"name\":\"tokened\",\"source\":\"s3://vigil-models/mlflow/"
          + exp + "/" + run + "/artifacts/m\"}");
      AliasChange change = client.setAlias("tokened", "challenger", "1", "someone-else", "try it");
      assertThat(change.actor()).isEqualTo("ci-bot");
      client.deleteAlias("tokened", "challenger", "x", "done");
      assertThat(events).hasSize(2);
      assertThat(events.get(0).getActor()).isEqualTo("ci-bot");
    }
  }

  @Test
  void actorHeaderIsRecordedWithoutAuth() throws Exception {
    try (RegistryServer server = TestServers.start(dir, S3.s3());
        MlflowClient c = new MlflowClient(server.url())) {
      c.sendPost("registered-models/create", "{\"name\":\"headed\"}");
      c.sendPost("model-versions/create", "{\"name\":\"headed\",\"source\":\"s3://vigil-models/mlflow/m\"}");
      RawHttp.Response r = RawHttp.send(server.port(), "POST", "/api/2.0/mlflow/registered-models/alias",
          "{\"name\":\"headed\",\"alias\":\"champion\",\"version\":\"1\",\"reason\":\"review #12\"}",
          "X-Vigil-Actor: reviewer@example.org");
      assertThat(r.status()).isEqualTo(200);
      JsonNode h = JSON.readTree(c.sendGet("registered-models/alias-history?name=headed&alias=champion"));
      assertThat(h.at("/history/0/actor").asText()).isEqualTo("reviewer@example.org");
      assertThat(h.at("/history/0/reason").asText()).isEqualTo("review #12");
      assertThat(h.at("/history/0/timestamp").isTextual()).isTrue();
      RawHttp.Response viaHeader = RawHttp.send(server.port(), "POST", "/api/2.0/mlflow/registered-models/alias",
          "{\"name\":\"headed\",\"alias\":\"champion\",\"version\":\"1\"}",
          "X-Vigil-Actor: bob", "X-Vigil-Reason: re-affirmed");
      assertThat(viaHeader.status()).isEqualTo(200);
      assertThat(JSON.readTree(viaHeader.body()).at("/alias_change/reason").asText()).isEqualTo("re-affirmed");
      assertThat(JSON.readTree(viaHeader.body()).at("/alias_change/previous_version").asText()).isEqualTo("1");
      List<String> fields = new ArrayList<>();
      h.at("/history/0").fieldNames().forEachRemaining(fields::add);
      assertThat(fields).contains("alias", "version", "actor", "reason", "timestamp");
    }
  }

  @Test
  void stopLetsInFlightRequestsFinishAndRefusesNewOnes() throws Exception {
    RegistryServer server = TestServers.start(dir, S3.s3());
    int port = server.port();
    try (Socket upload = new Socket("127.0.0.1", port)) {
      upload.setSoTimeout(20_000);
      OutputStream out = upload.getOutputStream();
      out.write(("PUT /api/2.0/mlflow-artifacts/artifacts/slow/upload.bin HTTP/1.1\r\nHost: x\r\n"
          + "Content-Length: 10\r\nConnection: close\r\n\r\nfirst").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long admitted = System.nanoTime() + 10_000_000_000L;
      while (server.requestsInFlight() < 1 && System.nanoTime() < admitted) {
        Thread.onSpinWait();
      }
      assertThat(server.requestsInFlight()).as("the upload is in flight, waiting for its body").isEqualTo(1);
      CompletableFuture<Void> stopped = CompletableFuture.runAsync(server::close);
      long deadline = System.nanoTime() + 10_000_000_000L;
      int status = 0;
      while (System.nanoTime() < deadline && status != 503) {
        status = RawHttp.send(port, "GET", "/health", null).status();
      }
      assertThat(status).isEqualTo(503);
      assertThat(stopped).isNotDone();
      out.write("-rest".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(upload.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 200");
      stopped.get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void historyOfAnUnknownModelIsNotFound() throws Exception {
    try (RegistryServer server = TestServers.start(dir, S3.s3())) {
      RawHttp.Response r = RawHttp.send(server.port(), "GET",
          "/api/2.0/mlflow/registered-models/alias-history?name=ghost", null);
      assertThat(r.status()).isEqualTo(404);
      assertThat(JSON.readTree(r.body()).path("error_code").asText()).isEqualTo("RESOURCE_DOES_NOT_EXIST");
    }
  }

}
