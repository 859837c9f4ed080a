package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * HTTP beside the gRPC port: {@code /metrics} (Prometheus text format), {@code /health/live},
 * {@code /health/ready} (200 once a model serves, else 503) and {@code /health} (JSON detail:
 * what is served, and the last version that failed to load and why).
 */
public final class HealthEndpoint implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor;
  private final ModelManager models;

  public HealthEndpoint(String host, int port, ServingMetrics metrics, ModelManager models) {
    this.models = requireNonNull(models, "models");
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the metrics port " + host + ":" + port, e);
    }
    executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "metrics-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    PrometheusRegistry registry = metrics.registry();
    ExpositionFormats formats = ExpositionFormats.init();
    server.createContext("/metrics", ex -> {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      formats.getPrometheusTextFormatWriter().write(body, registry.scrape());
      send(ex, 200, formats.getPrometheusTextFormatWriter().getContentType(), body.toByteArray());
    });
    server.createContext("/health/live", ex -> send(ex, 200, "text/plain", "live\n"));
    server.createContext("/health/ready", ex -> {
      boolean ready = models.current(ModelManager.Role.PRIMARY).isPresent();
      send(ex, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n");
    });
    server.createContext("/health", ex -> send(ex, 200, "application/json", detail()));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  String detail() {
    ObjectNode n = JSON.createObjectNode();
    n.put("model", models.modelName());
    for (ModelManager.Role role : ModelManager.Role.values()) {
      models.current(role).ifPresent(m -> {
        ObjectNode r = n.putObject(role.name().toLowerCase(java.util.Locale.ROOT));
        r.put("version", m.id().version());
        r.put("alias", m.id().alias());
        r.put("inFlight", m.inFlight());
        r.put("modelCalls", m.batcher().modelCalls());
      });
    }
    n.put("status", models.current(ModelManager.Role.PRIMARY).isPresent() ? "SERVING" : "NOT_SERVING");
    models.lastFailure().ifPresent(f -> {
      ObjectNode r = n.putObject("lastLoadFailure");
      r.put("role", f.role().name());
      r.put("version", f.version());
      r.put("reason", f.reason());
      r.put("at", f.at().toString());
    });
    return n.toString() + "\n";
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    send(ex, status, type + "; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] bytes) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
