package io.vigil.registry.server;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.minio.MinioClient;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.registry.server.RegistryServerConfig.Auth;
import io.vigil.registry.server.RegistryServerConfig.AuthMode;
import io.vigil.registry.server.api.ApiSupport;
import io.vigil.registry.server.api.ArtifactApi;
import io.vigil.registry.server.api.ProtoJson;
import io.vigil.registry.server.api.RegistryApi;
import io.vigil.registry.server.api.TrackingApi;
import io.vigil.registry.server.artifacts.ArtifactStore;
import io.vigil.registry.server.store.Database;
import io.vigil.registry.server.store.RegistryStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.UriCompliance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MLflow-compatible tracking and model registry server (REST API 2.0) with an artifact proxy,
 * metadata in SQL (H2 or PostgreSQL, Flyway migrations) and artifacts in S3. Any MLflow client can
 * be pointed at {@link #url()}. Also serves {@code /health}, {@code /ready} and Prometheus {@code
 * /metrics}. {@link #close()} stops accepting requests, lets in-flight ones finish within the
 * configured grace period, then closes the database pool.
 */
public final class RegistryServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);
  private static final long MAX_UPLOAD_BYTES = 2L * 1024 * 1024 * 1024;

  private final RegistryServerConfig config;
  private final Database database;
  private final RegistryStore store;
  private final ArtifactStore artifacts;
  private final ObjectMapper mapper = new ObjectMapper();
  private final PrometheusRegistry metrics = new PrometheusRegistry();
  private final Counter requests;
  private final Histogram latency;
  private final Javalin app;
  private final Object drain = new Object();
  private int inFlight;
  private volatile boolean stopping;

  private RegistryServer(RegistryServerConfig config, Database database, ArtifactStore artifacts,
      Clock clock) {
    this.config = requireNonNull(config, "config");
    this.database = requireNonNull(database, "database");
    this.artifacts = requireNonNull(artifacts, "artifacts");
    this.store = new RegistryStore(database.dataSource(), clock);
    this.requests = Counter.builder().name("vigil_registry_http_requests_total")
        .help("HTTP requests by route and status").labelNames("method", "route", "status")
        .register(metrics);
    this.latency = Histogram.builder().name("vigil_registry_http_request_duration_seconds")
        .help("HTTP request latency by route").labelNames("method", "route").register(metrics);
    JvmMetrics.builder().register(metrics);
    ApiSupport api = new ApiSupport(mapper, config.maxResults());
    this.app = Javalin.create(cfg -> {
      cfg.showJavalinBanner = false;
      cfg.startupWatcherEnabled = false;
      cfg.http.maxRequestSize = 16L * 1024 * 1024;
      // Let encoded and dotted paths reach the handlers, which refuse them with an MLflow error
      // instead of Jetty's HTML error page.
      cfg.jetty.modifyHttpConfiguration(h -> {
        h.setUriCompliance(UriCompliance.UNSAFE);
        h.setSendServerVersion(false);
      });
      cfg.jetty.modifyServer(s -> {
        s.setStopTimeout(config.shutdownGraceSeconds() * 1000L);
        s.setErrorHandler(new JsonErrorHandler());
      });
      cfg.requestLogger.http(this::logRequest);
    });
    app.before(this::admit);
    app.before(this::checkRawPath);
    app.before(this::authenticate);
    new TrackingApi(api, store, artifacts, clock).register(app);
    new RegistryApi(api, store, artifacts).register(app);
    new ArtifactApi(api, artifacts, MAX_UPLOAD_BYTES).register(app);
    app.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
    app.get("/ready", this::ready);
    app.get("/metrics", this::scrape);
    app.exception(MlflowException.class, (e, ctx) -> error(ctx, e.code(), e.getMessage(), e));
    app.exception(HttpResponseException.class, (e, ctx) -> {
      ErrorCode code = switch (e.getStatus()) {
        case 404, 405 -> ErrorCode.ENDPOINT_NOT_FOUND;
        case 401 -> ErrorCode.UNAUTHENTICATED;
        case 403 -> ErrorCode.PERMISSION_DENIED;
        case 413 -> ErrorCode.INVALID_PARAMETER_VALUE;
        case 503 -> ErrorCode.TEMPORARILY_UNAVAILABLE;
        default -> e.getStatus() >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.BAD_REQUEST;
      };
      error(ctx, code, code == ErrorCode.ENDPOINT_NOT_FOUND
          ? "No API endpoint " + ctx.method() + " " + safePath(ctx) : e.getMessage(), null);
    });
    app.exception(Exception.class, (e, ctx) ->
        error(ctx, ErrorCode.INTERNAL_ERROR, "Internal error; see the server log", e));
    app.error(404, ctx -> {
      if (ctx.attribute("vigil.error") == null) {
        error(ctx, ErrorCode.ENDPOINT_NOT_FOUND,
            "No API endpoint " + ctx.method() + " " + safePath(ctx), null);
      }
    });
    app.error(405, ctx -> {
      if (ctx.attribute("vigil.error") == null) {
        error(ctx, ErrorCode.ENDPOINT_NOT_FOUND,
            "No API endpoint " + ctx.method() + " " + safePath(ctx), null);
      }
    });
  }

  /**
   * Opens the store (migrating it), connects to S3 (creating the bucket if configured) and starts
   * the HTTP server. {@code artifacts.endpoint} must be set.
   */
  public static RegistryServer start(RegistryServerConfig config) {
    return start(config, Clock.systemUTC());
  }

  public static RegistryServer start(RegistryServerConfig config, Clock clock) {
    requireNonNull(config, "config");
    RegistryServerConfig.Artifacts a = config.artifacts();
    if (a.endpoint() == null || a.endpoint().isBlank()) {
      throw new IllegalArgumentException("artifacts.endpoint must be set (an S3 endpoint URL)");
    }
    MinioClient minio = MinioClient.builder().endpoint(a.endpoint())
        .credentials(a.accessKey(), a.secretKey()).region(a.region()).build();
    ArtifactStore artifacts = new ArtifactStore(minio, a.artifactRoot());
    if (a.createBucket()) {
      artifacts.ensureBucket();
    }
    Database db = Database.open(config.store().jdbcUrl(), config.store().user(),
        config.store().password(), config.store().maxPoolSize());
    try {
      RegistryServer server = new RegistryServer(config, db, artifacts, clock);
      server.store.ensureDefaultExperiment(artifacts.root().uriOf("0"));
      server.app.start(config.host(), config.port());
      LOG.info("MLflow-compatible registry listening on {} (store {}, artifacts {}, auth {})",
          server.url(), config.store().jdbcUrl().replaceAll("password=[^;&]*", "password=***"),
          a.root(), config.auth().mode());
      return server;
    } catch (RuntimeException | Error e) {
      // e.g. the port is taken: release the pool so no threads outlive a failed start
      db.close();
      throw e;
    }
  }

  public int port() {
    return app.port();
  }

  /** {@code http://host:port}: the tracking URI for MLflow clients. */
  public String url() {
    return "http://" + config.host() + ":" + port();
  }

  public RegistryStore store() {
    return store;
  }

  /** Requests admitted and not yet answered. */
  public int requestsInFlight() {
    synchronized (drain) {
      return inFlight;
    }
  }

  /**
   * Graceful stop: new requests get 503 TEMPORARILY_UNAVAILABLE, requests in flight get up to {@code
   * shutdownGraceSeconds} to finish, then the HTTP server and the database pool close.
   */
  @Override
  public void close() {
    LOG.info("registry server stopping");
    stopping = true;
    try {
      awaitDrained(Duration.ofSeconds(config.shutdownGraceSeconds()));
      app.stop();
    } finally {
      database.close();
    }
    LOG.info("registry server stopped");
  }

  private void awaitDrained(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    synchronized (drain) {
      while (inFlight > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warn("{} requests still in flight after {} s; stopping anyway", inFlight, grace.toSeconds());
          return;
        }
        try {
          drain.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Counts the request in flight, or refuses it while stopping. */
  private void admit(Context ctx) {
    if (stopping) {
      throw new MlflowException(ErrorCode.TEMPORARILY_UNAVAILABLE, "The server is shutting down.");
    }
    synchronized (drain) {
      inFlight++;
    }
    ctx.attribute("vigil.counted", Boolean.TRUE);
  }

  // ---------------------------------------------------------------- filters and errors

  /** Refuses traversal and encoding tricks in the raw URI before routing sees a decoded one. */
  private void checkRawPath(Context ctx) {
    String raw = ctx.req().getRequestURI();
    if (raw.startsWith(ArtifactApi.PREFIX + "/")) {
      ArtifactApi.rawPath(ctx);
      return;
    }
    String lower = raw.toLowerCase(Locale.ROOT);
    if (lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")
        || lower.contains("%25") || raw.contains("..") || raw.contains("\\") || raw.contains(";")
        || raw.contains("//")) {
      throw MlflowException.invalid("Invalid request path");
    }
  }

  private void authenticate(Context ctx) {
    Auth auth = config.auth();
    if (auth.mode() == AuthMode.NONE) {
      return;
    }
    String header = ctx.header("Authorization");
    String user = null;
    if (header != null) {
      if (auth.mode() == AuthMode.BASIC && header.regionMatches(true, 0, "Basic ", 0, 6)) {
        user = basicUser(auth, header.substring(6).trim());
      } else if (auth.mode() == AuthMode.BEARER && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        String token = header.substring(7).trim();
        for (Map.Entry<String, String> e : auth.tokens().entrySet()) {
          if (constantTimeEquals(e.getKey(), token)) {
            user = e.getValue();
          }
        }
      }
    }
    if (user == null) {
      ctx.header("WWW-Authenticate", auth.mode() == AuthMode.BASIC
          ? "Basic realm=\"vigil-registry\"" : "Bearer realm=\"vigil-registry\"");
      throw new MlflowException(ErrorCode.UNAUTHENTICATED,
          "You are not authenticated. Please provide valid credentials.");
    }
    ctx.attribute(ApiSupport.USER_ATTRIBUTE, user);
  }

  private static String basicUser(Auth auth, String encoded) {
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return null;
    }
    String name = decoded.substring(0, colon);
    String password = decoded.substring(colon + 1);
    String expected = auth.users().get(name);
    return expected != null && constantTimeEquals(expected, password) ? name : null;
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private void error(Context ctx, ErrorCode code, String message, Exception cause) {
    if (code.httpStatus() >= 500) {
      LOG.error("{} {} failed: {}", ctx.method(), safePath(ctx), message, cause);
    } else {
      LOG.debug("{} {} -> {}: {}", ctx.method(), safePath(ctx), code, message);
    }
    ObjectNode body = ProtoJson.object();
    body.put("error_code", code.name());
    body.put("message", message);
    ctx.attribute("vigil.error", code);
    ctx.status(code.httpStatus()).contentType("application/json").result(body.toString());
  }

  private static String safePath(Context ctx) {
    String p = ctx.path();
    return p.length() > 200 ? p.substring(0, 200) + "..." : p;
  }

  private void ready(Context ctx) {
    boolean db = store.ping();
    boolean s3 = artifacts.reachable();
    ObjectNode body = ProtoJson.object();
    body.put("database", db ? "up" : "down");
    body.put("artifacts", s3 ? "up" : "down");
    ctx.status(db && s3 ? 200 : 503).contentType("application/json").result(body.toString());
  }

  private void scrape(Context ctx) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    writer.write(out, metrics.scrape());
    ctx.contentType(writer.getContentType()).result(out.toByteArray());
  }

  private void logRequest(Context ctx, Float ms) {
    if (ctx.attribute("vigil.counted") != null) {
      synchronized (drain) {
        inFlight--;
        drain.notifyAll();
      }
    }
    // Requests refused before routing (bad path, no credentials, no such endpoint) have no route.
    String route = ctx.handlerType().isHttpMethod() && ctx.attribute("vigil.error") != ErrorCode.ENDPOINT_NOT_FOUND
        ? ctx.endpointHandlerPath() : "unmatched";
    String method = ctx.method().name();
    requests.labelValues(method, route, Integer.toString(ctx.statusCode())).inc();
    latency.labelValues(method, route).observe(ms / 1000.0);
    LOG.debug("{} {} {} {} ms", method, route, ctx.statusCode(), ms);
  }
}
