package io.vigil.labeling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny real HTTP server answering the MLflow REST calls the models page makes, with the JSON
 * shapes of the MLflow API: two versions (champion 1, challenger 2), their runs' metrics, and an
 * alias history that records every alias move with its actor.
 */
public final class StubRegistry implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One recorded POST of an alias. */
  public record AliasCall(String name, String alias, String version, String actor) {}

  private final HttpServer server;
  private final Map<String, String> aliases = new HashMap<>();
  private final Map<String, String> runOfVersion = Map.of("1", "run-1", "2", "run-2");
  private final Map<String, Map<String, Double>> metrics = Map.of(
      "run-1", Map.of("f1", 0.61, "pr_auc", 0.55, "precision", 0.70),
      "run-2", Map.of("f1", 0.68, "pr_auc", 0.63, "precision", 0.72));
  private final List<Map<String, Object>> history = new ArrayList<>();
  private final List<AliasCall> calls = new ArrayList<>();

  public StubRegistry() throws IOException {
    aliases.put("champion", "1");
    aliases.put("challenger", "2");
    history.add(event("challenger", "2", null, "training", "retrained on 1200 labels", 1_767_300_000_000L));
    history.add(event("champion", "1", null, "bootstrap", "first model", 1_767_200_000_000L));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/api/2.0/mlflow/", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public synchronized List<AliasCall> calls() {
    return List.copyOf(calls);
  }

  private static Map<String, Object> event(String alias, String version, String previous, String actor,
      String reason, long ts) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("alias", alias);
    e.put("version", version);
    e.put("previous_version", previous);
    e.put("actor", actor);
    e.put("reason", reason);
    e.put("timestamp", ts);
    return e;
  }

  private synchronized void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    ObjectNode out = JSON.createObjectNode();
    int status = 200;
    if (path.endsWith("/registered-models/alias") && ex.getRequestMethod().equals("GET")) {
      String v = aliases.get(q.get("alias"));
      if (v == null) {
        status = 404;
        out.put("error_code", "RESOURCE_DOES_NOT_EXIST");
      } else {
        ObjectNode mv = out.putObject("model_version");
        mv.put("name", q.get("name"));
        mv.put("version", v);
        mv.put("run_id", runOfVersion.get(v));
        ArrayNode tags = mv.putArray("tags");
        tags.addObject().put("key", "feature_set").put("value", "fs-v1");
      }
    } else if (path.endsWith("/registered-models/alias") && ex.getRequestMethod().equals("POST")) {
      JsonNode body = JSON.readTree(ex.getRequestBody());
      String actor = ex.getRequestHeaders().getFirst("X-Vigil-Actor");
      String alias = body.path("alias").asText();
      String version = body.path("version").asText();
      calls.add(new AliasCall(body.path("name").asText(), alias, version, actor));
      history.add(0, event(alias, version, aliases.get(alias), actor,
          ex.getRequestHeaders().getFirst("X-Vigil-Reason"), System.currentTimeMillis()));
      aliases.put(alias, version);
    } else if (path.endsWith("/runs/get")) {
      ArrayNode ms = out.putObject("run").putObject("data").putArray("metrics");
      metrics.getOrDefault(q.get("run_id"), Map.of()).forEach((k, v) ->
          ms.addObject().put("key", k).put("value", v).put("step", "0"));
    } else if (path.endsWith("/registered-models/alias-history")) {
      out.set("history", JSON.valueToTree(history));
    } else {
      status = 404;
    }
    byte[] bytes = JSON.writeValueAsBytes(out);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new HashMap<>();
    if (raw == null) {
      return m;
    }
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      if (i > 0) {
        m.put(URLDecoder.decode(kv.substring(0, i), StandardCharsets.UTF_8),
            URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
      }
    }
    return m;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
