package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.vigil.config.ConfigException;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration's defaults and key mapping, and the HTTP metrics and health endpoints. */
class ServingConfigAndEndpointsTest {

  @TempDir Path dir;

  @Test
  void defaultsAreDocumentedValues() {
    ServingConfig d = ServingConfig.defaults();
    assertThat(d.grpc().port()).isEqualTo(8001);
    assertThat(d.metrics().port()).isEqualTo(8002);
    assertThat(d.model().alias()).isEqualTo("champion");
    assertThat(d.model().shadowAlias()).isNull();
    assertThat(d.batching().enabled()).isTrue();
    assertThat(d.batching().maxBatchSize()).isEqualTo(64);
    assertThat(d.batching().maxQueueDelayMicros()).isEqualTo(2_000);
    assertThat(d.kafka().predictionsTopic()).isEqualTo("vigil.predictions");
    assertThat(ServingConfig.loader().defaultsAsYaml()).contains("maxQueueDelayMicros: 2000");
    assertThat(d.grpc().maxMessageBytes()).isEqualTo(16 * 1024 * 1024);
    assertThat(d.grpc().flowControlWindowBytes()).isEqualTo(8 * 1024 * 1024);
    assertThat(d.keepalive()).isEqualTo(new ServingConfig.Keepalive(60, 20, 10, false, 0, 0, 30));
    assertThat(d.security().tls()).isFalse();
    assertThat(d.security().tokenList()).isEmpty();
  }

  @Test
  void fileAndEnvironmentOverrideTheDefaults() throws Exception {
    Path file = Files.writeString(dir.resolve("serving.yaml"),
        "model:\n  name: other\n  shadowAlias: challenger\nbatching:\n  maxBatchSize: 32\n");
    ServingConfig c = ServingConfig.loader().load(file, Map.of(
        "VIGIL_SERVING__GRPC__PORT", "9001",
        "VIGIL_SERVING__BATCHING__MAX_QUEUE_DELAY_MICROS", "500",
        "VIGIL_SERVING__KAFKA__ENABLED", "false",
        "VIGIL_HOME", "/ignored"));
    assertThat(c.model().name()).isEqualTo("other");
    assertThat(c.model().shadowAlias()).isEqualTo("challenger");
    assertThat(c.batching().maxBatchSize()).isEqualTo(32);
    assertThat(c.batching().maxQueueDelayMicros()).isEqualTo(500);
    assertThat(c.grpc().port()).isEqualTo(9001);
    assertThat(c.kafka().enabled()).isFalse();
    ServingConfig secured = ServingConfig.loader().load(null, Map.of(
        "VIGIL_SERVING__SECURITY__AUTH_TOKENS", "one, two",
        "VIGIL_SERVING__KEEPALIVE__MAX_CONNECTION_AGE_SECONDS", "600"));
    assertThat(secured.security().tokenList()).containsExactly("one", "two");
    assertThat(secured.security().toString()).doesNotContain("one");
    assertThat(secured.keepalive().maxConnectionAgeSeconds()).isEqualTo(600);
  }

  @Test
  void rejectsUnknownKeysAndInvalidValues() {
    assertThatThrownBy(() -> ServingConfig.loader().load(null, Map.of("VIGIL_SERVING__BATCHING__MAX_BATCH", "3")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("maxBatch");
    assertThatThrownBy(() -> ServingConfig.loader().load(null, Map.of("VIGIL_SERVING__BATCHING__WORKERS", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("batching.workers");
    assertThatThrownBy(() -> ServingConfig.loader().load(null, Map.of("VIGIL_SERVING__MODEL__SHADOW_ALIAS", "champion")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("shadowAlias");
    assertThatThrownBy(() -> ServingConfig.loader().load(null, Map.of("VIGIL_SERVING__SECURITY__TLS_CERT_FILE", "a.crt")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("tlsKeyFile");
    assertThatThrownBy(() -> ServingConfig.loader().load(null, Map.of("VIGIL_SERVING__KEEPALIVE__TIME_SECONDS", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("keepalive.timeSeconds");
    assertThatThrownBy(() -> ServingConfig.loader().load(null, Map.of("VIGIL_SERVING__GRPC__EXECUTOR_THREADS", "-1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("grpc.executorThreads");
    assertThat(ServingConfig.loader().load(null, Map.of("VIGIL_SERVING__GRPC__EXECUTOR_THREADS", "0"))
        .grpc().executorThreads()).as("handlers on the event loops").isZero();
    assertThatThrownBy(() -> ServingConfig.loader().load(null,
        Map.of("VIGIL_SERVING__GRPC__FLOW_CONTROL_WINDOW_BYTES", "1000")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("grpc.flowControlWindowBytes");
    assertThat(ServingConfig.loader().load(null, Map.of("VIGIL_SERVING__GRPC__FLOW_CONTROL_WINDOW_BYTES", "1048576"))
        .grpc().flowControlWindowBytes()).isEqualTo(1 << 20);
  }

  @Test
  void servesMetricsAndHealthOverHttp() throws Exception {
    LocalModelSource source = new LocalModelSource(dir.resolve("models"));
    source.add("http-model", "1", 3, "champion");
    ServingConfig cfg = TestServing.config("http-model", dir.resolve("work"), true)
        .withMetrics(new ServingConfig.Metrics(true, "127.0.0.1", 0));
    try (ServingServer server = ServingServer.start(cfg, TestServing.inProcess("http", source, new RecordingSink()))) {
      ManagedChannel ch = InProcessChannelBuilder.forName("http").build();
      try {
        GRPCInferenceServiceGrpc.newBlockingStub(ch)
            .modelInfer(Requests.typed("http-model", Requests.rows(1, 4, 1), 1, 4));
        assertThatThrownBy(() -> GRPCInferenceServiceGrpc.newBlockingStub(ch)
            .modelInfer(Requests.typed("other-model", Requests.rows(1, 4, 1), 1, 4)))
            .isInstanceOf(io.grpc.StatusRuntimeException.class);
      } finally {
        ch.shutdownNow();
      }
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.metricsPort();
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("vigil_serving_requests_total{code=\"OK\",method=\"ModelInfer\"} 1")
          .contains("vigil_serving_model_calls_total").contains("vigil_serving_model_loaded")
          .contains("vigil_serving_request_latency_seconds_bucket").contains("vigil_serving_batch_rows_bucket")
          .contains("vigil_serving_queue_depth{role=\"primary\"} 0")
          .contains("vigil_serving_errors_total{code=\"NOT_FOUND\",method=\"ModelInfer\"} 1")
          .contains("jvm_memory");
      HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.body()).contains("\"status\":\"SERVING\"").contains("\"version\":\"1\"");
    }
  }
}
