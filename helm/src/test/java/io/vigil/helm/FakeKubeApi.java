package io.vigil.helm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hand-written stand-in for the Kubernetes API server, only as much as Helm's {@code lookup} needs: discovery of
 * {@code v1} and GET of Secrets ({@code 404 NotFound} unless one was put). helm-java's {@code template} resolves
 * {@code lookup} against the cluster of {@code $KUBECONFIG} (the helm CLI's {@code template} does not); surefire
 * points {@code KUBECONFIG} at the file {@link #start} writes. It also lets the tests show that an upgrade keeps
 * the generated labeling secrets: put the Secret a first release rendered, render again.
 */
final class FakeKubeApi {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static FakeKubeApi instance;

  private final HttpServer server;
  private final Map<String, Map<String, Object>> secrets = new ConcurrentHashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();

  private FakeKubeApi(HttpServer server) {
    this.server = server;
  }

  /** The one instance of this JVM, started on first use, its address written to {@code $KUBECONFIG}. */
  static synchronized FakeKubeApi start() {
    if (instance != null) {
      return instance;
    }
    try {
      HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      FakeKubeApi api = new FakeKubeApi(s);
      s.createContext("/", api::handle);
      s.start();
      String kubeconfig = System.getenv("KUBECONFIG");
      if (kubeconfig != null) {
        Path file = Path.of(kubeconfig);
        Files.createDirectories(file.getParent());
        Files.writeString(file, """
            apiVersion: v1
            kind: Config
            clusters:
              - name: fake
                cluster:
                  server: http://127.0.0.1:%d
            users:
              - name: fake
                user: {}
            contexts:
              - name: fake
                context: {cluster: fake, user: fake, namespace: %s}
            current-context: fake
            """.formatted(s.getAddress().getPort(), Chart.NAMESPACE));
      }
      instance = api;
      return api;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Makes {@code GET .../secrets/name} answer this Secret (string data, stored base64 as the API does). */
  void putSecret(String namespace, String name, Map<String, String> stringData) {
    Map<String, String> data = new java.util.TreeMap<>();
    stringData.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    secrets.put(namespace + "/" + name, Map.of("apiVersion", "v1", "kind", "Secret",
        "metadata", Map.of("name", name, "namespace", namespace), "type", "Opaque", "data", data));
  }

  void clearSecrets() {
    secrets.clear();
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    requests.add(ex.getRequestMethod() + " " + path);
    Object body;
    int status = 200;
    if (path.equals("/api")) {
      body = Map.of("kind", "APIVersions", "versions", List.of("v1"),
          "serverAddressByClientCIDRs", List.of(Map.of("clientCIDR", "0.0.0.0/0", "serverAddress", "127.0.0.1")));
    } else if (path.equals("/apis")) {
      body = Map.of("kind", "APIGroupList", "apiVersion", "v1", "groups", List.of());
    } else if (path.equals("/api/v1")) {
      body = Map.of("kind", "APIResourceList", "groupVersion", "v1", "resources", List.of(
          Map.of("name", "secrets", "singularName", "secret", "namespaced", true, "kind", "Secret",
              "verbs", List.of("get", "list"))));
    } else if (path.startsWith("/api/v1/namespaces/") && path.contains("/secrets/")) {
      String[] p = path.split("/");
      Map<String, Object> s = secrets.get(p[4] + "/" + p[6]);
      if (s != null) {
        body = s;
      } else {
        status = 404;
        body = notFound("secrets \"" + p[6] + "\" not found", p[6]);
      }
    } else {
      status = 404;
      body = notFound("the server could not find the requested resource", "");
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  private static Map<String, Object> notFound(String message, String name) {
    return Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure", "message", message,
        "reason", "NotFound", "details", Map.of("name", name, "kind", "secrets"), "code", 404);
  }
}
