package io.vigil.labeling.web;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.HandlerType;
import io.javalin.http.SameSite;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.vigil.labeling.ApiException;
import io.vigil.labeling.ErrorCode;
import io.vigil.labeling.auth.AuthService;
import io.vigil.labeling.auth.LoginLimiter;
import io.vigil.labeling.auth.Principal;
import io.vigil.labeling.auth.Role;
import io.vigil.labeling.models.ModelService;
import io.vigil.labeling.quality.QualityService;
import io.vigil.labeling.store.AuditLog;
import io.vigil.labeling.store.LabelFilter;
import io.vigil.labeling.store.LabelService;
import io.vigil.labeling.store.StoredLabel;
import io.vigil.labeling.store.TaskQueue;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the service: pages, static assets, the JSON API, and the security rules that
 * apply to all of them.
 *
 * <ul>
 *   <li>Every response carries a strict Content-Security-Policy (scripts and styles only from this
 *       origin, no inline code), {@code nosniff}, {@code frame-ancestors 'none'}.
 *   <li>Sessions are HttpOnly, SameSite=Strict cookies. Every state-changing request must come from
 *       this origin (Origin / Sec-Fetch-Site) and, once signed in, carry the session's CSRF token in
 *       {@code X-CSRF-Token}. Login takes JSON only, which a cross-site form cannot send.
 *   <li>Roles are checked per route; object-level checks (an annotator's own tasks and labels) are
 *       in the services.
 * </ul>
 */
public final class WebApp {

  private static final Logger LOG = LoggerFactory.getLogger(WebApp.class);
  static final String SESSION_COOKIE = "vigil_session";
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none';"
      + " base-uri 'none'; object-src 'none'";
  private static final Set<HandlerType> SAFE = Set.of(HandlerType.GET, HandlerType.HEAD, HandlerType.OPTIONS);
  private static final Set<String> PUBLIC_PATHS = Set.of("/login", "/api/login", "/health/live",
      "/health/ready", "/metrics", "/favicon.ico");
  private static final String PRINCIPAL = "vigil.principal";
  private static final String STARTED = "vigil.started";

  /** Everything the routes use. */
  public record Parts(AuthService auth, LoginLimiter limiter, TaskQueue queue, LabelService labels,
      QualityService quality, ModelService models, AuditLog audit, io.vigil.labeling.Metrics metrics,
      BooleanSupplier ready, boolean secureCookies, int sessionHours) {}

  private final Parts p;
  private final ObjectMapper json;
  private final Map<String, String> pages = new HashMap<>();

  public WebApp(Parts parts, ObjectMapper json) {
    this.p = requireNonNull(parts, "parts");
    this.json = requireNonNull(json, "json");
    for (String page : List.of("login", "annotate", "review", "models", "audit")) {
      pages.put(page, resource("/io/vigil/labeling/pages/" + page + ".html"));
    }
  }

  public Javalin create(int shutdownGraceSeconds) {
    Javalin app = Javalin.create(cfg -> {
      cfg.showJavalinBanner = false;
      cfg.useVirtualThreads = false;
      cfg.jsonMapper(new JavalinJackson(json, false));
      cfg.staticFiles.add(sf -> {
        sf.hostedPath = "/static";
        sf.directory = "/io/vigil/labeling/web";
        sf.location = Location.CLASSPATH;
      });
      cfg.staticFiles.enableWebjars();
      cfg.http.maxRequestSize = 256 * 1024;
      cfg.jetty.modifyServer(server -> server.setStopTimeout(shutdownGraceSeconds * 1000L));
    });
    app.before(this::securityFilter);
    app.after(this::observe);
    app.exception(ApiException.class, (e, ctx) -> error(ctx, e.code(), e.getMessage()));
    app.exception(Exception.class, (e, ctx) -> {
      LOG.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
      error(ctx, ErrorCode.INTERNAL, "internal error");
    });
    app.error(404, ctx -> {
      if (ctx.result() == null || ctx.result().isEmpty()) {
        error(ctx, ErrorCode.NOT_FOUND, "not found");
      }
    });

    // health and metrics
    app.get("/health/live", ctx -> ctx.json(Map.of("status", "UP")));
    app.get("/health/ready", ctx -> {
      boolean ok = p.ready().getAsBoolean();
      ctx.status(ok ? 200 : 503).json(Map.of("status", ok ? "UP" : "DOWN"));
    });
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
        .result(p.metrics().scrape()));

    // pages
    app.get("/", ctx -> ctx.redirect("/annotate"));
    app.get("/login", ctx -> page(ctx, "login"));
    app.get("/annotate", ctx -> page(ctx, "annotate"));
    app.get("/review", ctx -> {
      require(ctx, Role.REVIEWER);
      page(ctx, "review");
    });
    app.get("/models", ctx -> {
      require(ctx, Role.REVIEWER);
      page(ctx, "models");
    });
    app.get("/audit", ctx -> {
      require(ctx, Role.REVIEWER);
      page(ctx, "audit");
    });

    // session
    app.post("/api/login", this::login);
    app.post("/api/logout", ctx -> {
      Principal me = me(ctx);
      p.auth().logout(ctx.cookie(SESSION_COOKIE), me.username());
      ctx.removeCookie(SESSION_COOKIE, "/");
      ctx.json(Map.of("ok", true));
    });
    app.get("/api/me", ctx -> ctx.json(me(ctx)));

    // annotation
    app.get("/api/next", ctx -> {
      Principal me = me(ctx);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("task", p.queue().next(me.username()).orElse(null));
      ctx.json(body);
    });
    app.get("/api/progress", ctx -> ctx.json(p.queue().progress(me(ctx).username())));
    app.get("/api/tasks/{sampleId}", ctx -> {
      Principal me = me(ctx);
      ctx.json(p.queue().get(ctx.pathParam("sampleId"), me.username(), me.isAtLeast(Role.REVIEWER)));
    });
    app.post("/api/tasks/{sampleId}/label", ctx -> {
      Principal me = me(ctx);
      JsonNode b = body(ctx);
      LabelService.Submission s = new LabelService.Submission(text(b, "label"), strings(b, "rootCauses"),
          text(b, "note"), text(b, "idempotencyKey"));
      LabelService.Result r = p.labels().submit(me.username(), ctx.pathParam("sampleId"), s);
      if (!r.replayed()) {
        p.metrics().labels.labelValues("LABEL", r.label().label()).inc();
      }
      ctx.status(r.replayed() ? 200 : 201).json(r);
    });
    app.post("/api/undo", ctx -> {
      Principal me = me(ctx);
      LabelService.Result r = p.labels().undoLast(me.username(), text(body(ctx), "idempotencyKey"));
      if (!r.replayed()) {
        p.metrics().labels.labelValues("RETRACT", r.label().label()).inc();
      }
      ctx.status(r.replayed() ? 200 : 201).json(r);
    });
    app.get("/api/labels", ctx -> {
      Principal me = me(ctx);
      LabelFilter f = LabelFilter.parse(ctx.queryParamMap());
      if (!me.isAtLeast(Role.REVIEWER)) {
        String asked = f.equals().get("annotator");
        if (asked != null && !asked.equals(me.username())) {
          throw new ApiException(ErrorCode.FORBIDDEN, "annotators see only their own labels");
        }
        f = f.onlyAnnotator(me.username());
      }
      List<StoredLabel> ls = p.labels().list(f);
      if ("csv".equals(ctx.queryParam("format"))) {
        csv(ctx, "labels.csv", List.of("eventId", "kind", "sampleId", "entity", "annotator", "label",
            "rootCauses", "note", "labeledAt", "incidentId", "incidentAction", "retracts", "retracted"),
            ls.stream().map(l -> List.<Object>of(l.eventId(), l.kind(), l.sampleId(), l.entity(),
                l.annotator(), l.label(), String.join(";", l.rootCauses()), nz(l.note()), l.labeledAt(),
                nz(l.incidentId()), l.incidentAction(), nz(l.retracts()), l.retracted())).toList());
      } else {
        ctx.json(Map.of("labels", ls));
      }
    });
    app.get("/api/labels/{eventId}", ctx -> {
      Principal me = me(ctx);
      ctx.json(p.labels().get(ctx.pathParam("eventId"), me.username(), me.isAtLeast(Role.REVIEWER)));
    });

    // incidents
    app.get("/api/incidents", ctx -> {
      me(ctx);
      onlyParams(ctx, Set.of("status"));
      String status = ctx.queryParam("status");
      if (status != null && !status.equals("open") && !status.equals("all")) {
        throw new ApiException(ErrorCode.BAD_FILTER, "status is open or all");
      }
      ctx.json(Map.of("incidents", p.labels().incidents(!"all".equals(status))));
    });
    app.post("/api/incidents/{incidentId}/close", ctx -> {
      Principal me = me(ctx);
      JsonNode b = body(ctx);
      ctx.json(p.labels().closeIncident(me.username(), ctx.pathParam("incidentId"),
          text(b, "resolution"), text(b, "idempotencyKey")));
    });

    // quality and review
    app.get("/api/conflicts", ctx -> {
      require(ctx, Role.REVIEWER);
      ctx.json(Map.of("conflicts", p.labels().conflicts(200)));
    });
    app.post("/api/conflicts/{sampleId}/resolve", ctx -> {
      Principal me = require(ctx, Role.REVIEWER);
      JsonNode b = body(ctx);
      StoredLabel l = p.labels().resolve(me.username(), ctx.pathParam("sampleId"), text(b, "label"),
          text(b, "note"), text(b, "idempotencyKey"));
      p.metrics().labels.labelValues("REVIEW", l.label()).inc();
      ctx.json(l);
    });
    app.get("/api/quality", ctx -> {
      require(ctx, Role.REVIEWER);
      ctx.json(p.quality().report());
    });
    app.get("/api/export/training", ctx -> {
      require(ctx, Role.REVIEWER);
      onlyParams(ctx, Set.of("format"));
      List<QualityService.TrainingLabel> rows = p.quality().trainingExport();
      p.audit().append(System.currentTimeMillis(), me(ctx).username(), "EXPORT", "training",
          rows.size() + " labels");
      if ("csv".equals(ctx.queryParam("format"))) {
        csv(ctx, "training-labels.csv", List.of("sampleId", "entity", "label", "source", "ratings",
            "rootCauses"), rows.stream().map(r -> List.<Object>of(r.sampleId(), r.entity(), r.label(),
                r.source(), r.ratings(), String.join(";", r.rootCauses()))).toList());
      } else {
        ctx.json(Map.of("labels", rows));
      }
    });

    // models
    app.get("/api/models", ctx -> {
      require(ctx, Role.REVIEWER);
      ctx.json(p.models().overview());
    });
    app.post("/api/models/decision", ctx -> {
      Principal me = require(ctx, Role.REVIEWER);
      JsonNode b = body(ctx);
      String decision = text(b, "decision");
      if (!"approve".equals(decision) && !"reject".equals(decision)) {
        throw new ApiException(ErrorCode.BAD_REQUEST, "decision is approve or reject");
      }
      ctx.json(p.models().decide(me.username(), text(b, "version"), "approve".equals(decision),
          text(b, "reason")));
    });

    // audit
    app.get("/api/audit", ctx -> {
      require(ctx, Role.REVIEWER);
      onlyParams(ctx, Set.of("actor", "limit", "format"));
      int limit = parseInt(ctx.queryParam("limit"), 1000);
      List<AuditLog.Entry> es = p.audit().list(ctx.queryParam("actor"), Math.min(limit, 100_000));
      if ("csv".equals(ctx.queryParam("format"))) {
        csv(ctx, "audit.csv", List.of("id", "at", "actor", "action", "target", "detail"),
            es.stream().map(e -> List.<Object>of(e.id(), e.at(), e.actor(), e.action(), e.target(),
                e.detail())).toList());
      } else {
        ctx.json(Map.of("entries", es));
      }
    });

    // admin
    app.post("/api/admin/users", ctx -> {
      Principal me = require(ctx, Role.ADMIN);
      JsonNode b = body(ctx);
      Role role;
      try {
        role = Role.valueOf(String.valueOf(text(b, "role")).toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ApiException(ErrorCode.BAD_REQUEST, "role is annotator, reviewer or admin");
      }
      p.auth().createUser(me.username(), text(b, "username"), role, text(b, "password"));
      ctx.status(201).json(Map.of("username", text(b, "username"), "role", role));
    });
    app.get("/api/admin/users", ctx -> {
      require(ctx, Role.ADMIN);
      ctx.json(Map.of("users", p.auth().users()));
    });
    return app;
  }

  // ------------------------------------------------------------------ security

  private void securityFilter(Context ctx) {
    ctx.attribute(STARTED, System.nanoTime());
    ctx.header("Content-Security-Policy", CSP);
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Cross-Origin-Opener-Policy", "same-origin");
    String path = ctx.path();
    if (path.startsWith("/api/")) {
      ctx.header("Cache-Control", "no-store");
    }
    if (path.startsWith("/static/") || path.startsWith("/webjars/")) {
      return;
    }
    boolean unsafe = !SAFE.contains(ctx.method());
    if (unsafe) {
      requireSameOrigin(ctx);
    }
    Principal principal = p.auth().resolve(ctx.cookie(SESSION_COOKIE)).orElse(null);
    if (principal != null) {
      ctx.attribute(PRINCIPAL, principal);
    }
    if (PUBLIC_PATHS.contains(path)) {
      return;
    }
    if (principal == null) {
      if (path.startsWith("/api/")) {
        throw new ApiException(ErrorCode.UNAUTHENTICATED, "sign in first");
      }
      ctx.redirect("/login");
      ctx.skipRemainingHandlers();
      return;
    }
    if (unsafe) {
      String token = ctx.header("X-CSRF-Token");
      if (token == null || !java.security.MessageDigest.isEqual(
          token.getBytes(StandardCharsets.UTF_8), principal.csrfToken().getBytes(StandardCharsets.UTF_8))) {
        throw new ApiException(ErrorCode.CSRF_REJECTED, "missing or wrong CSRF token");
      }
    }
  }

  /** A state-changing request must not come from another site. */
  private static void requireSameOrigin(Context ctx) {
    String site = ctx.header("Sec-Fetch-Site");
    if (site != null && !site.equals("same-origin") && !site.equals("none")) {
      throw new ApiException(ErrorCode.CSRF_REJECTED, "cross-site request refused");
    }
    String origin = ctx.header("Origin");
    if (origin != null) {
      String host = ctx.header("Host");
      String originHost;
      try {
        originHost = URI.create(origin).getAuthority();
      } catch (IllegalArgumentException e) {
        originHost = null;
      }
      if (host == null || !host.equalsIgnoreCase(originHost)) {
        throw new ApiException(ErrorCode.CSRF_REJECTED, "cross-site request refused");
      }
    }
  }

  private void login(Context ctx) {
    String type = ctx.contentType();
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "send JSON");
    }
    JsonNode b = body(ctx);
    String username = text(b, "username");
    String client = ctx.ip();
    if (!p.limiter().tryAcquire(String.valueOf(username), client)) {
      p.metrics().logins.labelValues("throttled").inc();
      throw new ApiException(ErrorCode.RATE_LIMITED, "too many sign-in attempts; wait a minute");
    }
    AuthService.Session s;
    try {
      s = p.auth().login(username, text(b, "password"), client);
    } catch (ApiException e) {
      p.metrics().logins.labelValues("failed").inc();
      throw e;
    }
    p.metrics().logins.labelValues("ok").inc();
    ctx.cookie(new Cookie(SESSION_COOKIE, s.token(), "/", p.sessionHours() * 3600, p.secureCookies(),
        0, true, null, null, SameSite.STRICT));
    ctx.json(s.principal());
  }

  private static Principal me(Context ctx) {
    Principal me = ctx.attribute(PRINCIPAL);
    if (me == null) {
      throw new ApiException(ErrorCode.UNAUTHENTICATED, "sign in first");
    }
    return me;
  }

  private static Principal require(Context ctx, Role role) {
    Principal me = me(ctx);
    if (!me.isAtLeast(role)) {
      throw new ApiException(ErrorCode.FORBIDDEN, "this needs the " + role.name().toLowerCase(Locale.ROOT) + " role");
    }
    return me;
  }

  // ------------------------------------------------------------------ helpers

  private void observe(Context ctx) {
    Long t0 = ctx.attribute(STARTED);
    if (t0 == null) {
      return;
    }
    String route = ctx.endpointHandlerPath();
    if (route == null || route.isEmpty() || route.equals("*")) {
      route = ctx.path().startsWith("/static/") || ctx.path().startsWith("/webjars/") ? "static" : "other";
    }
    p.metrics().httpSeconds().labelValues(ctx.method().name(), route, Integer.toString(ctx.statusCode()))
        .observe((System.nanoTime() - t0) / 1e9);
  }

  private void page(Context ctx, String name) {
    ctx.contentType("text/html; charset=utf-8").result(pages.get(name));
  }

  private static void error(Context ctx, ErrorCode code, String message) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", code.name());
    body.put("message", message);
    ctx.status(code.httpStatus()).json(body);
  }

  private JsonNode body(Context ctx) {
    try {
      String s = ctx.body();
      JsonNode n = s.isBlank() ? json.createObjectNode() : json.readTree(s);
      if (!n.isObject()) {
        throw new ApiException(ErrorCode.BAD_REQUEST, "the body must be a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "the body is not valid JSON");
    }
  }

  private static String text(JsonNode b, String field) {
    JsonNode n = b.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "'" + field + "' must be a string");
    }
    return n.asText();
  }

  private static List<String> strings(JsonNode b, String field) {
    JsonNode n = b.get(field);
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "'" + field + "' must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new ApiException(ErrorCode.BAD_REQUEST, "'" + field + "' must be a list of strings");
      }
      out.add(e.asText());
    }
    return out;
  }

  private static void onlyParams(Context ctx, Set<String> allowed) {
    for (String k : ctx.queryParamMap().keySet()) {
      if (!allowed.contains(k)) {
        throw new ApiException(ErrorCode.BAD_FILTER, "unknown parameter '" + k + "'; allowed: " + allowed);
      }
    }
  }

  private static int parseInt(String s, int dflt) {
    if (s == null) {
      return dflt;
    }
    try {
      int v = Integer.parseInt(s);
      if (v < 1) {
        throw new ApiException(ErrorCode.BAD_FILTER, "limit must be >= 1");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new ApiException(ErrorCode.BAD_FILTER, "limit must be a number");
    }
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static void csv(Context ctx, String filename, List<String> header, List<List<Object>> rows) {
    StringBuilder b = new StringBuilder(Csv.row(header));
    rows.forEach(r -> b.append(Csv.row(r)));
    ctx.contentType("text/csv; charset=utf-8")
        .header("Content-Disposition", "attachment; filename=\"" + filename + "\"")
        .result(b.toString());
  }

  private static String resource(String path) {
    try (InputStream in = WebApp.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
