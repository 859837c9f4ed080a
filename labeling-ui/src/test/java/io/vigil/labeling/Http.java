package io.vigil.labeling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A browser-like API client for tests: keeps its session cookie and sends the CSRF token. */
public final class Http {

  public static final ObjectMapper JSON = new ObjectMapper();

  /** Status, headers and JSON body of one answer. */
  public record Answer(int status, JsonNode json, String body, HttpResponse<String> raw) {}

  private final String base;
  private final HttpClient client;
  private String csrf;

  public Http(String base) {
    this.base = base;
    this.client = HttpClient.newBuilder().cookieHandler(new CookieManager())
        .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
  }

  public static Http signedIn(String base, String user, String password) {
    Http h = new Http(base);
    Answer a = h.post("/api/login", Map.of("username", user, "password", password));
    if (a.status() != 200) {
      throw new AssertionError("login of " + user + " failed: " + a.body());
    }
    return h;
  }

  public Answer get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), null);
  }

  public Answer post(String path, Object body) {
    return post(path, body, Map.of());
  }

  public Answer post(String path, Object body, Map<String, String> headers) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
      if (csrf != null && !headers.containsKey("X-CSRF-Token")) {
        b.header("X-CSRF-Token", csrf);
      }
      headers.forEach(b::header);
      return send(b, path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Answer send(HttpRequest.Builder b, String postPath) {
    try {
      HttpResponse<String> r = client.send(b.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      JsonNode json = null;
      if (r.headers().firstValue("Content-Type").orElse("").contains("json") && !r.body().isEmpty()) {
        json = JSON.readTree(r.body());
      }
      if ("/api/login".equals(postPath) && r.statusCode() == 200 && json != null) {
        csrf = json.path("csrfToken").asText();
      }
      return new Answer(r.statusCode(), json, r.body(), r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
