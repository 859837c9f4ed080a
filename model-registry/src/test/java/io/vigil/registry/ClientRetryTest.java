package io.vigil.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RegistryException;
import io.vigil.registry.client.RetryPolicy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client retries 5xx with backoff, and adds no retries for client errors. The official MLflow
 * Java client underneath repeats every failed request itself ({@link #MLFLOW_CLIENT_ATTEMPTS} tries,
 * without delay, even for 4xx; 429 with its own backoff), so the request counts below are products.
 */
class ClientRetryTest {

  static final int MLFLOW_CLIENT_ATTEMPTS = 3;

  HttpServer fake;
  final AtomicInteger calls = new AtomicInteger();
  volatile int failuresBeforeSuccess;
  volatile int failureStatus;

  @BeforeEach
  void start() throws Exception {
    fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    fake.createContext("/api/2.0/mlflow/model-versions/get", exchange -> {
      int n = calls.incrementAndGet();
      byte[] body;
      int status;
      if (n <= failuresBeforeSuccess) {
        status = failureStatus;
        body = ("{\"error_code\":\"" + (status == 429 ? "REQUEST_LIMIT_EXCEEDED" : status == 404
            ? "RESOURCE_DOES_NOT_EXIST" : "TEMPORARILY_UNAVAILABLE") + "\",\"message\":\"try later\"}")
            .getBytes(StandardCharsets.UTF_8);
      } else {
        status = 200;
        body = "{\"model_version\":{\"name\":\"m\",\"version\":\"3\",\"source\":\"s3://b/p\"}}"
            .getBytes(StandardCharsets.UTF_8);
      }
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    fake.start();
  }

  @AfterEach
  void stop() {
    fake.stop(0);
  }

  RegistryClient client(int attempts) {
    return new RegistryClient(ClientSettings.of("http://127.0.0.1:" + fake.getAddress().getPort(), null, null, null)
        .withRetry(new RetryPolicy(attempts, Duration.ofMillis(1), Duration.ofMillis(4))),
        ModelEventPublisher.discarding(), Clock.systemUTC());
  }

  @Test
  void retriesServerErrorsUntilTheyPass() {
    failuresBeforeSuccess = 3;
    failureStatus = 503;
    try (RegistryClient c = client(5)) {
      ModelVersionInfo v = c.version("m", "3");
      assertThat(v.version()).isEqualTo("3");
    }
    assertThat(calls.get()).isEqualTo(4);
  }

  @Test
  void givesUpAfterMaxAttempts() {
    failuresBeforeSuccess = 100;
    failureStatus = 500;
    try (RegistryClient c = client(3)) {
      assertThatThrownBy(() -> c.version("m", "3")).isInstanceOf(RegistryException.class)
          .satisfies(e -> assertThat(((RegistryException) e).httpStatus()).isEqualTo(500));
    }
    assertThat(calls.get()).isEqualTo(3 * MLFLOW_CLIENT_ATTEMPTS);
  }

  @Test
  void doesNotRetryClientErrors() {
    failuresBeforeSuccess = 100;
    failureStatus = 404;
    try (RegistryClient c = client(5)) {
      assertThatThrownBy(() -> c.version("m", "3")).isInstanceOf(RegistryException.class)
          .satisfies(e -> assertThat(((RegistryException) e).isNotFound()).isTrue());
    }
    assertThat(calls.get()).isEqualTo(MLFLOW_CLIENT_ATTEMPTS);
  }

  @Test
  void backoffDoublesUpToTheMaximum() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofMillis(500));
    assertThat(p.backoff(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.backoff(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.backoff(3)).isEqualTo(Duration.ofMillis(400));
    assertThat(p.backoff(4)).isEqualTo(Duration.ofMillis(500));
  }
}
