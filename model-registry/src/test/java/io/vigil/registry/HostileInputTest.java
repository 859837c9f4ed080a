package io.vigil.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.registry.server.RegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mlflow.tracking.MlflowClient;

/**
 * Inputs from MLflow's CVE history: each is refused with 400 and an MLflow error body without
 * internals, and nothing outside the artifact root ({@code s3://vigil-models/mlflow}) is read or
 * written.
 */
class HostileInputTest {

  private static final String SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT";
  private static final String ART = "/api/2.0/mlflow-artifacts/artifacts/";
  private static final String MLFLOW = "/api/2.0/mlflow/";

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir static Path dir;

  static RegistryServer server;
  static MlflowClient client;
  static String runId;
  static Map<Path, String> before;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    server = TestServers.start(dir, S3.s3());
    client = new MlflowClient(server.url());
    String exp = client.createExperiment("hostile");
    runId = client.createRun(exp).getRunId();
    client.sendPost("registered-models/create", "{\"name\":\"victim\"}");
    // Things outside the artifact root that must never be read or changed.
    Path data = S3.s3().dataDir();
    Files.createDirectories(data.resolve("vigil-models/secret"));
    Files.writeString(data.resolve("vigil-models/secret/outside.txt"), SECRET);
    Files.createDirectories(data.resolve("other-bucket"));
    Files.writeString(data.resolve("other-bucket/outside.txt"), SECRET);
    Files.writeString(dir.resolve("outside.txt"), SECRET);
    // A legitimate artifact inside the root.
    RawHttp.Response ok = RawHttp.send(server.port(), "PUT", ART + "ok/inside.txt", "inside");
    assertThat(ok.status()).isEqualTo(200);
    before = snapshot();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      // Nothing was written outside the root, and everything outside it is unchanged.
      Map<Path, String> after = snapshot();
      assertThat(after).isEqualTo(before);
    } finally {
      client.close();
      server.close();
    }
  }

  /** Every file under the S3 data directory and the test directory, with its content. */
  static Map<Path, String> snapshot() throws Exception {
    Map<Path, String> out = new TreeMap<>();
    for (Path root : List.of(S3.s3().dataDir(), dir)) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          String name = f.getFileName().toString();
          if (name.endsWith(".db") || name.endsWith(".trace.db") || name.endsWith(".lock.db")) {
            continue; // the H2 store itself
          }
          out.put(f, Files.readString(f, StandardCharsets.ISO_8859_1));
        }
      }
    }
    return out;
  }

  static Stream<Arguments> hostileArtifactRequests() {
    return Stream.of(
        Arguments.of("dot-dot traversal", "GET", ART + "../../../../etc/passwd"),
        Arguments.of("dot-dot to sibling prefix", "GET", ART + "../secret/outside.txt"),
        Arguments.of("encoded slash traversal", "GET", ART + "..%2f..%2fsecret%2foutside.txt"),
        Arguments.of("encoded dots and slashes", "GET", ART + "%2e%2e%2f%2e%2e%2fsecret%2foutside.txt"),
        Arguments.of("upper-case encoding", "GET", ART + "%2E%2E/secret/outside.txt"),
        Arguments.of("double encoded traversal", "GET", ART + "%252e%252e%252fsecret%252foutside.txt"),
        Arguments.of("path parameter dot-dot", "GET", ART + "..;/secret/outside.txt"),
        Arguments.of("encoded backslashes", "GET", ART + "..%5c..%5csecret%5coutside.txt"),
        Arguments.of("raw backslashes", "GET", ART + "..\\..\\secret\\outside.txt"),
        Arguments.of("NUL byte", "GET", ART + "ok/inside.txt%00.png"),
        Arguments.of("encoded absolute path", "GET", ART + "%2fetc%2fpasswd"),
        Arguments.of("double slash absolute path", "GET", ART + "/etc/passwd"),
        Arguments.of("dot segments", "GET", ART + "ok/./../../secret/outside.txt"),
        Arguments.of("windows drive", "GET", ART + "C:%5cwindows%5cwin.ini"),
        Arguments.of("overlong UTF-8 dots", "GET", ART + "%c0%ae%c0%ae/secret/outside.txt"),
        Arguments.of("upload traversal", "PUT", ART + "../escaped.txt"),
        Arguments.of("upload encoded traversal", "PUT", ART + "..%2f..%2fother-bucket%2fpwned.txt"),
        Arguments.of("delete traversal", "DELETE", ART + "..%2fsecret%2foutside.txt"),
        Arguments.of("list with dot-dot", "GET", "/api/2.0/mlflow-artifacts/artifacts?path=../secret"),
        Arguments.of("list with double-encoded dot-dot", "GET",
            "/api/2.0/mlflow-artifacts/artifacts?path=%252e%252e%252fsecret"),
        Arguments.of("list absolute", "GET", "/api/2.0/mlflow-artifacts/artifacts?path=/etc"),
        Arguments.of("run artifact list traversal", "GET", MLFLOW + "artifacts/list?run_id=RUN&path=../../../secret"),
        Arguments.of("dot-dot on an API route", "GET", MLFLOW + "../../../etc/passwd"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileArtifactRequests")
  void refusesHostileArtifactPaths(String name, String method, String target) throws Exception {
    String t = target.replace("RUN", runId);
    RawHttp.Response r = RawHttp.send(server.port(), method, t, method.equals("PUT") ? "pwned" : null);
    assertThat(r.status()).as(name).isEqualTo(400);
    assertThat(r.body()).doesNotContain(SECRET);
    assertSafeError(r.body());
  }

  static Stream<Arguments> hostileSources() {
    return Stream.of(
        Arguments.of("local file", "file:///etc/passwd"),
        Arguments.of("local file, host form", "file://localhost/etc/passwd"),
        Arguments.of("proc root", "//proc/self/root/etc/passwd"),
        Arguments.of("plain absolute path", "/etc/passwd"),
        Arguments.of("relative traversal", "../../etc/passwd"),
        Arguments.of("fragment trick", "s3://vigil-models/mlflow/x#/../../../secret"),
        Arguments.of("query trick", "s3://vigil-models/mlflow/x?/../../secret"),
        Arguments.of("http fetch", "http://169.254.169.254/latest/meta-data/"),
        Arguments.of("https fetch", "https://evil.example/model.tar"),
        Arguments.of("other bucket", "s3://other-bucket/outside.txt"),
        Arguments.of("other prefix", "s3://vigil-models/secret/outside.txt"),
        Arguments.of("prefix look-alike", "s3://vigil-models/mlflow-evil/model"),
        Arguments.of("s3 traversal", "s3://vigil-models/mlflow/../secret/outside.txt"),
        Arguments.of("s3 encoded traversal", "s3://vigil-models/mlflow/%2e%2e/secret"),
        Arguments.of("s3 backslash", "s3://vigil-models/mlflow/..\\secret"),
        Arguments.of("mlflow-artifacts with host", "mlflow-artifacts://evil.example/x"),
        Arguments.of("mlflow-artifacts traversal", "mlflow-artifacts:/../secret"),
        Arguments.of("runs traversal", "runs:/RUN/../../../secret"),
        Arguments.of("models indirection", "models:/victim/1"),
        Arguments.of("NUL in source", "s3://vigil-models/mlflow/x\u0000/../../secret"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileSources")
  void refusesModelVersionSourcesOutsideTheRoot(String name, String source) throws Exception {
    String body = JSON.createObjectNode().put("name", "victim").put("source", source.replace("RUN", runId)).toString();
    RawHttp.Response r = RawHttp.send(server.port(), "POST", MLFLOW + "model-versions/create", body);
    assertThat(r.status()).as(name).isEqualTo(400);
    assertSafeError(r.body());
    assertThat(JSON.readTree(client.sendGet("model-versions/search?filter=name%3D%27victim%27"))
        .path("model_versions")).isEmpty();
  }

  static Stream<Arguments> hostileLocations() {
    return Stream.of(
        Arguments.of("local file", "file:///tmp/evil"),
        Arguments.of("proc root", "//proc/self/root"),
        Arguments.of("http", "http://evil.example/store"),
        Arguments.of("query", "s3://vigil-models/mlflow/x?y=1"),
        Arguments.of("other bucket", "s3://other-bucket/x"),
        Arguments.of("traversal", "s3://vigil-models/mlflow/../../x"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileLocations")
  void refusesExperimentArtifactLocationsOutsideTheRoot(String name, String location) throws Exception {
    String body = JSON.createObjectNode().put("name", "evil-" + name).put("artifact_location", location).toString();
    RawHttp.Response r = RawHttp.send(server.port(), "POST", MLFLOW + "experiments/create", body);
    assertThat(r.status()).as(name).isEqualTo(400);
    assertSafeError(r.body());
    assertThat(client.getExperimentByName("evil-" + name)).isEmpty();
  }

  static Stream<Arguments> hostileParameters() {
    return Stream.of(
        Arguments.of("max_results above the maximum (runs)", "POST", MLFLOW + "runs/search",
            "{\"experiment_ids\":[\"0\"],\"max_results\":50001}"),
        Arguments.of("max_results above the maximum (models)", "GET",
            MLFLOW + "registered-models/search?max_results=1000000", null),
        Arguments.of("max_results above the maximum (versions)", "GET",
            MLFLOW + "model-versions/search?max_results=99999999999", null),
        Arguments.of("negative max_results", "GET", MLFLOW + "experiments/search?max_results=-5", null),
        Arguments.of("forged page token", "GET", MLFLOW + "registered-models/search?page_token=b2Zmc2V0Oi0x", null),
        Arguments.of("garbage page token", "GET", MLFLOW + "experiments/search?page_token=%25%25%25", null),
        Arguments.of("malformed JSON", "POST", MLFLOW + "experiments/create", "{\"name\": "),
        Arguments.of("SQL in an id", "GET", MLFLOW + "experiments/get?experiment_id=1%27%20OR%20%271%27%3D%271", null),
        Arguments.of("SQL in a filter", "POST", MLFLOW + "runs/search",
            "{\"experiment_ids\":[\"0\"],\"filter\":\"name = 'x'; DROP TABLE runs; --\"}"),
        Arguments.of("over-long model name", "POST", MLFLOW + "registered-models/create",
            "{\"name\":\"" + "m".repeat(300) + "\"}"),
        Arguments.of("over-long description", "POST", MLFLOW + "registered-models/create",
            "{\"name\":\"long-description\",\"description\":\"" + "d".repeat(6000) + "\"}"),
        Arguments.of("over-long tag value", "POST", MLFLOW + "runs/set-tag",
            "{\"run_id\":\"RUN\",\"key\":\"k\",\"value\":\"" + "v".repeat(9000) + "\"}"),
        Arguments.of("reserved alias", "POST", MLFLOW + "registered-models/alias",
            "{\"name\":\"victim\",\"alias\":\"latest\",\"version\":\"1\"}"),
        Arguments.of("alias with a slash", "POST", MLFLOW + "registered-models/alias",
            "{\"name\":\"victim\",\"alias\":\"../champion\",\"version\":\"1\"}"),
        Arguments.of("non-numeric version", "GET", MLFLOW + "model-versions/get?name=victim&version=1;DROP", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileParameters")
  void refusesHostileParameters(String name, String method, String target, String body) throws Exception {
    RawHttp.Response r = RawHttp.send(server.port(), method, target, body == null ? null : body.replace("RUN", runId));
    assertThat(r.status()).as(name).isEqualTo(400);
    assertSafeError(r.body());
  }

  @Test
  void stillServesLegitimateArtifactsInsideTheRoot() throws Exception {
    RawHttp.Response r = RawHttp.send(server.port(), "GET", ART + "ok/inside.txt", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("inside");
    RawHttp.Response list = RawHttp.send(server.port(), "GET", "/api/2.0/mlflow-artifacts/artifacts?path=ok", null);
    assertThat(JSON.readTree(list.body()).path("files").get(0).path("path").asText()).isEqualTo("inside.txt");
    assertThat(RawHttp.send(server.port(), "PUT", ART + "ok/spaced%20name.txt", "x").status()).isEqualTo(200);
    assertThat(RawHttp.send(server.port(), "DELETE", ART + "ok/spaced%20name.txt", null).status()).isEqualTo(200);
    assertThat(RawHttp.send(server.port(), "GET", ART + "ok/spaced%20name.txt", null).status()).isEqualTo(404);
  }

  /** An MLflow-style error body with no stack trace, SQL or class names. */
  static void assertSafeError(String body) throws Exception {
    JsonNode error = JSON.readTree(body);
    assertThat(error.path("error_code").asText()).isIn("INVALID_PARAMETER_VALUE", "MALFORMED_REQUEST",
        "BAD_REQUEST", "RESOURCE_ALREADY_EXISTS");
    assertThat(body).doesNotContain("Exception").doesNotContain("at io.").doesNotContain("SELECT")
        .doesNotContain("jdbc").doesNotContain("org.h2");
  }
}
