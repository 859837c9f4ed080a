package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.labeling.auth.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API's security rules, over real HTTP against the real server and database (no Kafka). */
class ApiSecurityTest {

  @TempDir static Path dir;
  static LabelingServer server;
  static String base;

  @BeforeAll
  static void start() {
    server = LabelingServer.start(Fixtures.config(dir, null), Fixtures.options());
    base = server.url();
    server.auth().createUser("test", "ann", Role.ANNOTATOR, "ann-password-1");
    server.auth().createUser("test", "bob", Role.ANNOTATOR, "bob-password-1");
    server.auth().createUser("test", "rev", Role.REVIEWER, "rev-password-1");
    for (int i = 0; i < 4; i++) {
      server.queue().enqueue(Fixtures.request("sec-" + i, "host-" + i, 10 - i));
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void refusesToStartWithAnEmptyOrDefaultSessionSecretOrAdminPassword() {
    LabelingConfig c = Fixtures.config(dir.resolve("other"), null);
    assertThatThrownBy(() -> LabelingServer.start(c.withSecurity(
        new LabelingConfig.Security("", 12, 10, "admin", Fixtures.ADMIN_PASSWORD, "", ""))))
        .hasMessageContaining("sessionSecret");
    assertThatThrownBy(() -> LabelingServer.start(c.withSecurity(
        new LabelingConfig.Security(Fixtures.SECRET, 12, 10, "admin", "admin", "", ""))))
        .hasMessageContaining("adminPassword");
  }

  @Test
  void everyAnswerCarriesAStrictContentSecurityPolicy() {
    Http.Answer page = new Http(base).get("/login");
    assertThat(page.status()).isEqualTo(200);
    String csp = page.raw().headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).contains("script-src 'self'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
    assertThat(page.body()).doesNotContainPattern("<script>[^<]").doesNotContain("onclick=");
    Http.Answer script = new Http(base).get("/static/annotate.js");
    assertThat(script.status()).isEqualTo(200);
    assertThat(script.raw().headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(script.body()).doesNotContain("innerHTML");
    assertThat(new Http(base).get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js").status()).isEqualTo(200);
  }

  @Test
  void apiNeedsASessionAndPagesRedirectToLogin() {
    Http anonymous = new Http(base);
    assertThat(anonymous.get("/api/next").status()).isEqualTo(401);
    assertThat(anonymous.get("/api/next").json().path("error").asText()).isEqualTo("UNAUTHENTICATED");
    Http.Answer page = anonymous.get("/annotate");
    assertThat(page.status()).isEqualTo(302);
    assertThat(page.raw().headers().firstValue("Location")).hasValue("/login");
  }

  @Test
  void refusesStateChangesWithoutTheCsrfTokenOrFromAnotherOrigin() {
    Http ann = Http.signedIn(base, "ann", "ann-password-1");
    Http.Answer noToken = ann.post("/api/undo", Map.of("idempotencyKey", "undo-key-1"), Map.of("X-CSRF-Token", ""));
    assertThat(noToken.status()).isEqualTo(403);
    assertThat(noToken.json().path("error").asText()).isEqualTo("CSRF_REJECTED");
    Http.Answer crossSite = ann.post("/api/undo", Map.of("idempotencyKey", "undo-key-2"),
        Map.of("Origin", "http://evil.example"));
    assertThat(crossSite.status()).isEqualTo(403);
    Http.Answer crossLogin = new Http(base).post("/api/login",
        Map.of("username", "ann", "password", "ann-password-1"), Map.of("Origin", "http://evil.example"));
    assertThat(crossLogin.status()).isEqualTo(403);
  }

  @Test
  void anAnnotatorCannotReadOrLabelATaskLeasedToSomeoneElseNorReadTheirLabels() {
    Http ann = Http.signedIn(base, "ann", "ann-password-1");
    Http bob = Http.signedIn(base, "bob", "bob-password-1");
    String annTask = ann.get("/api/next").json().path("task").path("sampleId").asText();
    String bobTask = bob.get("/api/next").json().path("task").path("sampleId").asText();
    assertThat(annTask).isNotEqualTo(bobTask).isNotEmpty();

    assertThat(bob.get("/api/tasks/" + annTask).status()).isEqualTo(403);
    Http.Answer steal = bob.post("/api/tasks/" + annTask + "/label",
        Map.of("label", "NORMAL", "idempotencyKey", "steal-key-1"));
    assertThat(steal.status()).isEqualTo(403);

    Http.Answer mine = ann.post("/api/tasks/" + annTask + "/label",
        Map.of("label", "NORMAL", "rootCauses", List.of("cpu"), "idempotencyKey", "ann-key-0001"));
    assertThat(mine.status()).isEqualTo(201);
    String eventId = mine.json().path("label").path("eventId").asText();
    assertThat(ann.get("/api/labels/" + eventId).status()).isEqualTo(200);
    assertThat(bob.get("/api/labels/" + eventId).status()).isEqualTo(404);
    assertThat(bob.get("/api/labels?annotator=ann").status()).isEqualTo(403);
    assertThat(bob.get("/api/labels").json().path("labels")).isEmpty();
    Http rev = Http.signedIn(base, "rev", "rev-password-1");
    assertThat(rev.get("/api/labels/" + eventId).status()).isEqualTo(200);
  }

  @Test
  void aRetriedSubmissionIsStoredOnce() {
    Http ann = Http.signedIn(base, "ann", "ann-password-1");
    String task = ann.get("/api/next").json().path("task").path("sampleId").asText();
    Map<String, Object> body = Map.of("label", "UNSURE", "idempotencyKey", "retry-key-01");
    Http.Answer first = ann.post("/api/tasks/" + task + "/label", body);
    Http.Answer second = ann.post("/api/tasks/" + task + "/label", body);
    assertThat(first.status()).isEqualTo(201);
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.json().path("label").path("eventId")).isEqualTo(first.json().path("label").path("eventId"));
  }

  @Test
  void reviewerOnlyActionsAreRefusedForAnAnnotator() {
    Http ann = Http.signedIn(base, "ann", "ann-password-1");
    assertThat(ann.get("/api/conflicts").status()).isEqualTo(403);
    assertThat(ann.get("/api/quality").status()).isEqualTo(403);
    assertThat(ann.get("/api/models").status()).isEqualTo(403);
    assertThat(ann.get("/api/audit").status()).isEqualTo(403);
    Http.Answer approve = ann.post("/api/models/decision",
        Map.of("version", "2", "decision", "approve", "reason", "why not"));
    assertThat(approve.status()).isEqualTo(403);
    assertThat(approve.json().path("error").asText()).isEqualTo("FORBIDDEN");
    assertThat(ann.post("/api/conflicts/sec-0/resolve", Map.of("label", "NORMAL", "idempotencyKey", "res-key-001"))
        .status()).isEqualTo(403);
    assertThat(ann.post("/api/admin/users", Map.of("username", "x", "role", "admin", "password", "xxxxxxxxxx"))
        .status()).isEqualTo(403);
    Http rev = Http.signedIn(base, "rev", "rev-password-1");
    assertThat(rev.get("/api/quality").status()).isEqualTo(200);
  }

  @Test
  void filtersOnlyOnAllowlistedFields() {
    Http rev = Http.signedIn(base, "rev", "rev-password-1");
    assertThat(rev.get("/api/labels?annotator=ann&sort=labeledAt&order=desc").status()).isEqualTo(200);
    Http.Answer bad = rev.get("/api/labels?password_hash=x");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().path("error").asText()).isEqualTo("BAD_FILTER");
    assertThat(rev.get("/api/labels?sort=note;DROP%20TABLE%20labels").status()).isEqualTo(400);
    assertThat(rev.get("/api/audit?whatever=1").status()).isEqualTo(400);
  }

  @Test
  void throttlesRepeatedLoginAttempts() {
    Http h = new Http(base);
    int throttled = 0;
    for (int i = 0; i < 12; i++) {
      int status = h.post("/api/login", Map.of("username", "bob-guess", "password", "wrong-" + i)).status();
      assertThat(status).isIn(401, 429);
      if (status == 429) {
        throttled++;
      }
    }
    assertThat(throttled).isGreaterThanOrEqualTo(2);
  }

  @Test
  void errorsCarryACodeAndNoInternals() {
    Http ann = Http.signedIn(base, "ann", "ann-password-1");
    Http.Answer bad = ann.post("/api/tasks/none/label", Map.of("label", "MAYBE", "idempotencyKey", "k-00000001"));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().fieldNames()).toIterable().containsExactly("error", "message");
    assertThat(bad.body()).doesNotContain("Exception").doesNotContain("at io.vigil");
  }

  @Test
  void healthAndMetricsAnswer() {
    Http h = new Http(base);
    assertThat(h.get("/health/live").status()).isEqualTo(200);
    assertThat(h.get("/health/ready").status()).isEqualTo(200);
    assertThat(h.get("/metrics").body()).contains("vigil_labeling_queue_open_tasks");
  }
}
