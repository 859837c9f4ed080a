package io.vigil.labeling.models;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@link RegistryClient} over the MLflow REST API 2.0 (JSON over HTTP). */
public final class MlflowRegistryClient implements RegistryClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final HttpClient http;
  private final Duration timeout;

  public MlflowRegistryClient(String baseUrl, Duration timeout) {
    this.baseUrl = requireNonNull(baseUrl, "baseUrl").replaceAll("/+$", "");
    this.timeout = requireNonNull(timeout, "timeout");
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public Optional<ModelVersion> alias(String model, String alias) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri(
        "/api/2.0/mlflow/registered-models/alias?name=" + enc(model) + "&alias=" + enc(alias))).GET());
    if (r.statusCode() == 404) {
      return Optional.empty();
    }
    JsonNode mv = ok(r).path("model_version");
    if (mv.isMissingNode()) {
      return Optional.empty();
    }
    Map<String, String> tags = new LinkedHashMap<>();
    for (JsonNode t : mv.path("tags")) {
      tags.put(t.path("key").asText(), t.path("value").asText());
    }
    return Optional.of(new ModelVersion(mv.path("name").asText(model), mv.path("version").asText(),
        mv.path("run_id").asText(""), tags));
  }

  @Override
  public Map<String, Double> runMetrics(String runId) {
    if (runId == null || runId.isEmpty()) {
      return Map.of();
    }
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri(
        "/api/2.0/mlflow/runs/get?run_id=" + enc(runId))).GET());
    Map<String, Double> out = new LinkedHashMap<>();
    for (JsonNode m : ok(r).path("run").path("data").path("metrics")) {
      out.put(m.path("key").asText(), m.path("value").asDouble());
    }
    return out;
  }

  @Override
  public List<AliasChange> aliasHistory(String model) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri(
        "/api/2.0/mlflow/registered-models/alias-history?name=" + enc(model))).GET());
    if (r.statusCode() == 404) {
      return List.of();
    }
    List<AliasChange> out = new ArrayList<>();
    for (JsonNode h : ok(r).path("history")) {
      out.add(new AliasChange(h.path("alias").asText(), h.path("version").asText(),
          h.hasNonNull("previous_version") ? h.path("previous_version").asText() : null,
          h.path("actor").asText(""), h.hasNonNull("reason") ? h.path("reason").asText() : null,
          h.path("timestamp").asLong()));
    }
    return out;
  }

  @Override
  public void setAlias(String model, String alias, String version, String actor, String reason) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", model);
    body.put("alias", alias);
    body.put("version", version);
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri("/api/2.0/mlflow/registered-models/alias"))
          .header("Content-Type", "application/json")
          .header("X-Vigil-Actor", actor)
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
      if (reason != null && !reason.isBlank()) {
        b.header("X-Vigil-Reason", reason.replaceAll("[\\r\\n]+", " "));
      }
      ok(send(b));
    } catch (IOException e) {
      throw new RegistryException("cannot write the request", e);
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new RegistryException("the model registry at " + baseUrl + " cannot be reached", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException("interrupted", e);
    }
  }

  private static JsonNode ok(HttpResponse<String> r) {
    if (r.statusCode() / 100 != 2) {
      throw new RegistryException("the model registry answered HTTP " + r.statusCode() + " for "
          + r.uri().getPath());
    }
    try {
      String body = r.body();
      return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      throw new RegistryException("the model registry answered with invalid JSON", e);
    }
  }

  private URI uri(String pathAndQuery) {
    return URI.create(baseUrl + pathAndQuery);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
