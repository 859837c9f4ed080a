package io.vigil.registry.client;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import io.vigil.schemas.ModelEvent;
import io.vigil.schemas.ModelEventType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.mlflow.api.proto.Service;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowClientException;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry client used by training and serving. Tracking and registry calls go over the MLflow
 * REST API through the official {@link MlflowClient} (typed methods where it has them, {@code
 * sendPost/sendGet/sendPatch} with JSON bodies where it does not; plain HTTP for the DELETE calls
 * it cannot send), retried with exponential backoff on 429, 5xx and lost connections. Artifacts go
 * straight to S3 with the MinIO SDK under the run's {@code artifact_uri}. Every registration and
 * alias move is announced as a {@link ModelEvent}.
 *
 * <p>Registration records a SHA-256 of the artifacts as a model-version tag ({@link
 * ArtifactChecksum#TAG}); {@link #download} recomputes it and refuses artifacts that do not match.
 * Thread-safe.
 */
public final class RegistryClient implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryClient.class);

  private final ClientSettings settings;
  private final MlflowClient mlflow;
  private final HttpClient http;
  private final MinioClient minio;
  private final ModelEventPublisher events;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();

  public RegistryClient(ClientSettings settings, ModelEventPublisher events, Clock clock) {
    this.settings = requireNonNull(settings, "settings");
    this.events = requireNonNull(events, "events");
    this.clock = requireNonNull(clock, "clock");
    BasicMlflowHostCreds creds = settings.token() != null
        ? new BasicMlflowHostCreds(settings.trackingUri(), settings.token())
        : new BasicMlflowHostCreds(settings.trackingUri(), settings.username(), settings.password());
    this.mlflow = new MlflowClient(creds);
    this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
    this.minio = settings.s3Endpoint() == null ? null
        : MinioClient.builder().endpoint(settings.s3Endpoint())
            .credentials(settings.s3AccessKey(), settings.s3SecretKey())
            .region(settings.s3Region() == null ? "us-east-1" : settings.s3Region()).build();
  }

  /** The underlying MLflow client, for calls this class does not wrap. */
  public MlflowClient mlflow() {
    return mlflow;
  }

  // ---------------------------------------------------------------- tracking

  /** The id of the experiment with this name, created if missing. */
  public String experimentId(String name) {
    requireNonNull(name, "name");
    Optional<Service.Experiment> existing = call("get experiment " + name, () -> mlflow.getExperimentByName(name));
    if (existing.isPresent()) {
      return existing.get().getExperimentId();
    }
    try {
      return call("create experiment " + name, () -> mlflow.createExperiment(name));
    } catch (RegistryException e) {
      if (e.isAlreadyExists()) {
        return call("get experiment " + name, () -> mlflow.getExperimentByName(name)).map(Service.Experiment::getExperimentId).orElseThrow(() -> e);
      }
      throw e;
    }
  }

  public RunRef startRun(String experimentId, String runName) {
    Service.CreateRun request = Service.CreateRun.newBuilder()
        .setExperimentId(experimentId).setRunName(runName).setStartTime(clock.millis()).build();
    Service.RunInfo info = call("create run", () -> mlflow.createRun(request));
    return new RunRef(info.getRunId(), info.getExperimentId(), info.getArtifactUri());
  }

  public void logParam(String runId, String key, String value) {
    call("log param", () -> {
      mlflow.logParam(runId, key, value);
      return null;
    });
  }

  public void logMetric(String runId, String key, double value, long step) {
    call("log metric", () -> {
      mlflow.logMetric(runId, key, value, clock.millis(), step);
      return null;
    });
  }

  public void setRunTag(String runId, String key, String value) {
    call("set tag", () -> {
      mlflow.setTag(runId, key, value);
      return null;
    });
  }

  public void finishRun(String runId, boolean succeeded) {
    call("finish run", () -> {
      mlflow.setTerminated(runId, succeeded ? Service.RunStatus.FINISHED : Service.RunStatus.FAILED,
          clock.millis());
      return null;
    });
  }

  /** Uploads one file to {@code <artifact_uri>/<relativePath>}. */
  public void uploadArtifact(String runId, String relativePath, Path file) {
    S3Location base = S3Location.parse(run(runId).getInfo().getArtifactUri());
    String rel = cleanRelative(relativePath);
    try (InputStream in = Files.newInputStream(file)) {
      minio().putObject(PutObjectArgs.builder().bucket(base.bucket()).object(base.child(rel))
          .stream(in, Files.size(file), -1).contentType("application/octet-stream").build());
    } catch (Exception e) {
      throw new RegistryException(0, "UNAVAILABLE", "cannot upload " + file + " to " + base.uri() + "/" + rel, e);
    }
  }

  /**
   * Reads one file a run uploaded ({@code <artifact_uri>/<relativePath>}), e.g. its lineage record.
   *
   * @throws RegistryException with status 404 when the run has no such artifact
   */
  public byte[] readArtifact(String runId, String relativePath) {
    S3Location base = S3Location.parse(run(runId).getInfo().getArtifactUri());
    String rel = cleanRelative(relativePath);
    try (InputStream in = minio().getObject(GetObjectArgs.builder().bucket(base.bucket())
        .object(base.child(rel)).build())) {
      return in.readAllBytes();
    } catch (io.minio.errors.ErrorResponseException e) {
      if ("NoSuchKey".equals(e.errorResponse().code())) {
        throw new RegistryException(404, "RESOURCE_DOES_NOT_EXIST", "run " + runId + " has no artifact " + rel, e);
      }
      throw new RegistryException(0, "UNAVAILABLE", "cannot read " + base.uri() + "/" + rel, e);
    } catch (Exception e) {
      throw new RegistryException(0, "UNAVAILABLE", "cannot read " + base.uri() + "/" + rel, e);
    }
  }

  /** Uploads every file under {@code dir} to {@code <artifact_uri>/<artifactPath>/...}. */
  public void uploadArtifacts(String runId, String artifactPath, Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String rel = dir.relativize(f).toString().replace('\\', '/');
        uploadArtifact(runId, artifactPath.isEmpty() ? rel : artifactPath + "/" + rel, f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir, e);
    }
  }

  // ---------------------------------------------------------------- registry

  /**
   * Registers the artifacts a run uploaded under {@code artifactPath} as the next version of the
   * model (created if missing), tagged with lineage and the artifacts' SHA-256, and publishes a
   * REGISTERED event.
   */
  public ModelVersionInfo register(Registration r) {
    Service.Run run = run(r.runId());
    String source = run.getInfo().getArtifactUri() + "/" + cleanRelative(r.artifactPath());
    String checksum = checksumOf(S3Location.parse(source));
    createModelIfMissing(r.modelName(), r.actor());
    ObjectNode body = json.createObjectNode();
    body.put("name", r.modelName());
    body.put("source", source);
    body.put("run_id", r.runId());
    if (r.description() != null) {
      body.put("description", r.description());
    }
    body.put("actor", r.actor());
    Map<String, String> tags = new LinkedHashMap<>(r.tags());
    tags.put(ArtifactChecksum.TAG, checksum);
    body.set("tags", keyValues(tags));
    JsonNode created = post("model-versions/create", body).get("model_version");
    ModelVersionInfo info = versionInfo(created);
    Map<String, Double> metrics = new HashMap<>();
    for (Service.Metric m : run.getData().getMetricsList()) {
      metrics.put(m.getKey(), m.getValue());
    }
    events.publish(event(info, ModelEventType.REGISTERED, null, null, metrics, r.actor(), null));
    LOG.info("registered {} version {} from {} (sha256 {})", info.name(), info.version(), source, checksum);
    return info;
  }

  public ModelVersionInfo version(String name, String version) {
    return versionInfo(get("model-versions/get?name=" + enc(name) + "&version=" + enc(version))
        .get("model_version"));
  }

  /** The version an alias points to, or empty if the alias is not set. */
  public Optional<ModelVersionInfo> byAlias(String name, String alias) {
    try {
      return Optional.of(versionInfo(get("registered-models/alias?name=" + enc(name) + "&alias="
          + enc(alias)).get("model_version")));
    } catch (RegistryException e) {
      if (e.isNotFound()) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Points {@code alias} at {@code version}, recording actor and reason; publishes ALIAS_SET. */
  public AliasChange setAlias(String name, String alias, String version, String actor, String reason) {
    ObjectNode body = json.createObjectNode();
    body.put("name", name);
    body.put("alias", alias);
    body.put("version", version);
    body.put("actor", actor);
    if (reason != null) {
      body.put("reason", reason);
    }
    AliasChange change = change(post("registered-models/alias", body), name, alias);
    ModelVersionInfo info = version(name, version);
    events.publish(event(info, ModelEventType.ALIAS_SET, alias, change.previousVersion().orElse(null),
        Map.of(), change.actor(), reason));
    return change;
  }

  /** Removes an alias; publishes ALIAS_REMOVED for the version it pointed to. */
  public AliasChange deleteAlias(String name, String alias, String actor, String reason) {
    ObjectNode body = json.createObjectNode();
    body.put("name", name);
    body.put("alias", alias);
    body.put("actor", actor);
    if (reason != null) {
      body.put("reason", reason);
    }
    AliasChange change = change(send("DELETE", "registered-models/alias", body), name, alias);
    String previous = change.previousVersion().orElseThrow();
    ModelVersionInfo info = version(name, previous);
    events.publish(event(info, ModelEventType.ALIAS_REMOVED, alias, previous, Map.of(), change.actor(), reason));
    return change;
  }

  /** Alias moves of a model (one alias if {@code alias} is not null), newest first. */
  public List<AliasChange> aliasHistory(String name, String alias) {
    String query = "registered-models/alias-history?name=" + enc(name)
        + (alias == null ? "" : "&alias=" + enc(alias));
    List<AliasChange> out = new ArrayList<>();
    for (JsonNode h : get(query).path("history")) {
      out.add(aliasChange(h));
    }
    return out;
  }

  private static AliasChange aliasChange(JsonNode h) {
    return new AliasChange(h.path("alias").asText(), optText(h, "version"),
        optText(h, "previous_version"), h.path("actor").asText(), optText(h, "reason"),
        Instant.ofEpochMilli(Long.parseLong(h.path("timestamp").asText("0"))));
  }

  /** The change the server recorded: from its answer (Vigil servers), else the newest history entry. */
  private AliasChange change(JsonNode response, String name, String alias) {
    JsonNode recorded = response.get("alias_change");
    return recorded != null && recorded.isObject() ? aliasChange(recorded) : latestChange(name, alias);
  }

  /**
   * Downloads a version's artifacts into {@code target} (which must not exist yet), after checking
   * them against the SHA-256 recorded at registration. A mismatch or a missing checksum throws
   * {@link ArtifactIntegrityException} and leaves nothing at {@code target}.
   */
  public DownloadedModel download(String name, String version, Path target) {
    ModelVersionInfo info = version(name, version);
    String expected = info.checksum().orElseThrow(() -> new ArtifactIntegrityException(
        "model " + name + " version " + version + " has no recorded checksum (" + ArtifactChecksum.TAG
            + "); refusing to load it"));
    if (Files.exists(target)) {
      throw new IllegalArgumentException("download target already exists: " + target);
    }
    Path parent = target.toAbsolutePath().getParent();
    Path staging;
    try {
      Files.createDirectories(parent);
      staging = Files.createTempDirectory(parent, ".download-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a download directory under " + parent, e);
    }
    boolean moved = false;
    try {
      S3Location source = S3Location.parse(info.source());
      Map<String, String> objects = objectsUnder(source);
      for (Map.Entry<String, String> o : objects.entrySet()) {
        Path dest = staging.resolve(o.getKey()).normalize();
        if (!dest.startsWith(staging)) {
          throw new ArtifactIntegrityException("artifact key escapes the download directory: " + o.getKey());
        }
        Files.createDirectories(dest.getParent());
        try (InputStream in = minio().getObject(GetObjectArgs.builder().bucket(source.bucket())
            .object(o.getValue()).build())) {
          Files.copy(in, dest);
        }
      }
      String actual = ArtifactChecksum.ofDirectory(staging);
      if (!actual.equals(expected)) {
        throw new ArtifactIntegrityException("artifacts of model " + name + " version " + version
            + " do not match their recorded SHA-256 (expected " + expected + ", got " + actual
            + "): refusing to load them");
      }
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      moved = true;
      return new DownloadedModel(info, target, actual);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot download model " + name + " version " + version, e);
    } catch (RegistryException e) {
      throw e;
    } catch (Exception e) {
      throw new RegistryException(0, "UNAVAILABLE", "cannot download model " + name + " version "
          + version + " from " + info.source(), e);
    } finally {
      if (!moved) {
        deleteDownload(staging);
      }
    }
  }

  /** Downloads the version an alias points to; see {@link #download}. */
  public DownloadedModel downloadByAlias(String name, String alias, Path target) {
    ModelVersionInfo v = byAlias(name, alias).orElseThrow(() -> new RegistryException(404,
        "RESOURCE_DOES_NOT_EXIST", "model " + name + " has no alias " + alias, null));
    return download(name, v.version(), target);
  }

  @Override
  public void close() {
    mlflow.close();
  }

  // ---------------------------------------------------------------- helpers

  private Service.Run run(String runId) {
    return call("get run " + runId, () -> mlflow.getRun(runId));
  }

  private void createModelIfMissing(String name, String actor) {
    ObjectNode body = json.createObjectNode();
    body.put("name", name);
    body.put("actor", actor);
    try {
      post("registered-models/create", body);
    } catch (RegistryException e) {
      if (!e.isAlreadyExists()) {
        throw e;
      }
    }
  }

  private AliasChange latestChange(String name, String alias) {
    List<AliasChange> history = aliasHistory(name, alias);
    if (history.isEmpty()) {
      throw new RegistryException(0, "INTERNAL_ERROR", "the registry recorded no alias history for "
          + name + "@" + alias, null);
    }
    return history.get(0);
  }

  /** Relative object name to full key, for every object at or under the source. */
  private Map<String, String> objectsUnder(S3Location source) throws Exception {
    Map<String, String> out = new TreeMap<>();
    String prefix = source.key().isEmpty() ? "" : source.key() + "/";
    for (Result<Item> r : minio().listObjects(ListObjectsArgs.builder().bucket(source.bucket())
        .prefix(prefix).recursive(true).build())) {
      Item item = r.get();
      if (!item.isDir()) {
        out.put(item.objectName().substring(prefix.length()), item.objectName());
      }
    }
    if (out.isEmpty() && !source.key().isEmpty()) {
      // a single file registered directly
      for (Result<Item> r : minio().listObjects(ListObjectsArgs.builder().bucket(source.bucket())
          .prefix(source.key()).recursive(false).build())) {
        Item item = r.get();
        if (item.objectName().equals(source.key())) {
          String file = source.key().substring(source.key().lastIndexOf('/') + 1);
          out.put(file, item.objectName());
        }
      }
    }
    if (out.isEmpty()) {
      throw new RegistryException(404, "RESOURCE_DOES_NOT_EXIST", "no artifacts at " + source.uri(), null);
    }
    return out;
  }

  private String checksumOf(S3Location source) {
    try {
      Map<String, String> digests = new TreeMap<>();
      for (Map.Entry<String, String> o : objectsUnder(source).entrySet()) {
        try (InputStream in = minio().getObject(GetObjectArgs.builder().bucket(source.bucket())
            .object(o.getValue()).build())) {
          digests.put(o.getKey(), ArtifactChecksum.sha256(in));
        }
      }
      return ArtifactChecksum.ofFileDigests(digests);
    } catch (RegistryException e) {
      throw e;
    } catch (Exception e) {
      throw new RegistryException(0, "UNAVAILABLE", "cannot read artifacts at " + source.uri(), e);
    }
  }

  private MinioClient minio() {
    if (minio == null) {
      throw new IllegalStateException("no S3 endpoint configured for artifacts");
    }
    return minio;
  }

  private ModelEvent event(ModelVersionInfo v, ModelEventType type, String alias, String previous,
      Map<String, Double> metrics, String actor, String reason) {
    return ModelEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setModelName(v.name())
        .setModelVersion(v.version())
        .setType(type)
        .setAlias(alias)
        .setPreviousVersion(previous)
        .setMetrics(metrics)
        .setActor(actor)
        .setReason(reason)
        .setSource(v.source())
        .setEventTime(Instant.ofEpochMilli(clock.millis()))
        .build();
  }

  private ModelVersionInfo versionInfo(JsonNode v) {
    Map<String, String> tags = new TreeMap<>();
    for (JsonNode t : v.path("tags")) {
      tags.put(t.path("key").asText(), t.path("value").asText());
    }
    List<String> aliases = new ArrayList<>();
    v.path("aliases").forEach(a -> aliases.add(a.asText()));
    return new ModelVersionInfo(v.path("name").asText(), v.path("version").asText(),
        v.path("source").asText(), v.path("run_id").asText(""), v.path("current_stage").asText("None"),
        tags, aliases);
  }

  private ArrayNode keyValues(Map<String, String> map) {
    ArrayNode a = json.createArrayNode();
    map.forEach((k, v) -> a.addObject().put("key", k).put("value", v));
    return a;
  }

  private JsonNode post(String path, JsonNode body) {
    return parse(call("POST " + path, () -> mlflow.sendPost(path, body.toString())));
  }

  private JsonNode get(String pathAndQuery) {
    return parse(call("GET " + pathAndQuery, () -> mlflow.sendGet(pathAndQuery)));
  }

  /** Methods the MLflow client cannot send (DELETE), with the same credentials and retries. */
  private JsonNode send(String method, String path, JsonNode body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.trackingUri() + "/api/2.0/mlflow/" + path))
        .timeout(settings.timeout())
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
    if (settings.token() != null) {
      b.header("Authorization", "Bearer " + settings.token());
    } else if (settings.username() != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
          (settings.username() + ":" + settings.password()).getBytes(StandardCharsets.UTF_8)));
    }
    HttpRequest request = b.build();
    String response = call(method + " " + path, () -> {
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
          throw new MlflowHttpException(r.statusCode(), "", r.body());
        }
        return r.body();
      } catch (IOException e) {
        throw new MlflowClientException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new MlflowClientException(e);
      }
    });
    return parse(response);
  }

  private JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? json.createObjectNode() : json.readTree(body);
    } catch (JsonProcessingException e) {
      throw new RegistryException(0, "MALFORMED_RESPONSE", "the registry answered with invalid JSON", e);
    }
  }

  /** Runs one call with retries on 429, 5xx and connection failures; maps errors to RegistryException. */
  <T> T call(String what, Supplier<T> action) {
    RetryPolicy retry = settings.retry();
    for (int attempt = 1; ; attempt++) {
      RegistryException failure;
      boolean retriable;
      try {
        return action.get();
      } catch (MlflowHttpException e) {
        int status = e.getStatusCode();
        String body = e.getBodyMessage();
        String code = errorCode(body);
        failure = new RegistryException(status, code, what + " failed: HTTP " + status + " "
            + code + ": " + errorMessage(body), e);
        retriable = status == 429 || status >= 500;
      } catch (MlflowClientException e) {
        failure = new RegistryException(0, "UNAVAILABLE", what + " failed: " + e.getMessage(), e);
        retriable = true;
      }
      if (!retriable || attempt >= retry.maxAttempts()) {
        throw failure;
      }
      Duration wait = retry.backoff(attempt);
      LOG.warn("{} (attempt {}/{}); retrying in {} ms", failure.getMessage(), attempt,
          retry.maxAttempts(), wait.toMillis());
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw failure;
      }
    }
  }

  private String errorCode(String body) {
    try {
      return json.readTree(body == null ? "{}" : body).path("error_code").asText("UNKNOWN");
    } catch (JsonProcessingException e) {
      return "UNKNOWN";
    }
  }

  private String errorMessage(String body) {
    try {
      return json.readTree(body == null ? "{}" : body).path("message").asText("");
    } catch (JsonProcessingException e) {
      return body == null ? "" : body.substring(0, Math.min(200, body.length()));
    }
  }

  private static Optional<String> optText(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() || v.asText().isEmpty() ? Optional.empty() : Optional.of(v.asText());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String cleanRelative(String path) {
    String p = path;
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    for (String seg : p.split("/", -1)) {
      if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || seg.contains("\\")) {
        throw new IllegalArgumentException("artifact path must be a clean relative path: '" + path + "'");
      }
    }
    return p;
  }

  /**
   * Removes a download directory (see {@link #download}) with everything in it, as callers do when
   * a model is unloaded or a download was only needed briefly. A directory that is already gone is
   * fine; a file that cannot be removed is logged, not thrown, so that cleaning up never hides the
   * failure that led to it.
   *
   * @return whether the directory is gone
   */
  public static boolean deleteDownload(Path dir) {
    if (!Files.exists(dir)) {
      return true;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
      return true;
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("cannot remove {}: {}", dir, e.getMessage());
      return false;
    }
  }

  /** {@code s3://bucket/key}. */
  record S3Location(String bucket, String key) {
    static S3Location parse(String uri) {
      if (uri == null || !uri.startsWith("s3://")) {
        throw new IllegalArgumentException("not an s3:// location: " + uri);
      }
      String rest = uri.substring(5);
      int slash = rest.indexOf('/');
      String bucket = slash < 0 ? rest : rest.substring(0, slash);
      String key = slash < 0 ? "" : rest.substring(slash + 1);
      while (key.endsWith("/")) {
        key = key.substring(0, key.length() - 1);
      }
      return new S3Location(bucket, key);
    }

    String uri() {
      return "s3://" + bucket + "/" + key;
    }

    String child(String rel) {
      return key.isEmpty() ? rel : key + "/" + rel;
    }
  }
}
