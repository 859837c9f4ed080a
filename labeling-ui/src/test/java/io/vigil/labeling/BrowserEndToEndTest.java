package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.embedded.junit.Await;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.labeling.auth.Role;
import io.vigil.labeling.store.LabelService;
import io.vigil.labeling.store.TaskQueue;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelReason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real server (embedded Kafka, H2 file, an MLflow-REST stub), seeds tasks, and runs the
 * browser scenarios of {@code src/test/e2e/labeling.e2e.js} in Debian's headless Chromium. Needs
 * {@code /usr/bin/chromium} and {@code npm ci} in {@code src/test/e2e} ({@code .ci/run} does both).
 */
class BrowserEndToEndTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  static final Path E2E = Path.of("src/test/e2e");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir Path dir;

  @Test
  void annotatorAndReviewerScenariosPassInARealBrowser() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "needs Debian's chromium at /usr/bin/chromium");
    assumeTrue(Files.isDirectory(E2E.resolve("node_modules/playwright-core")),
        "needs `npm ci` in labeling-ui/src/test/e2e");
    Path shots = Path.of("target/screenshots").toAbsolutePath();
    Files.createDirectories(shots);

    try (StubRegistry registry = new StubRegistry();
        LabelingServer server = LabelingServer.start(
            Fixtures.config(dir, KAFKA.bootstrapServers()).withRegistry(
                new LabelingConfig.Registry(registry.url(), "vigil-anomaly", 5000)),
            Fixtures.options())) {
      seed(server);
      ProcessBuilder pb = new ProcessBuilder("node", "labeling.e2e.js")
          .directory(E2E.toFile())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("e2e.log").toFile());
      pb.environment().putAll(Map.of("BASE_URL", server.url(), "SCREENSHOT_DIR", shots.toString(),
          "ANN_USER", "ann", "ANN_PASS", "ann-password-1", "REV_USER", "rev", "REV_PASS", "rev-password-1",
          "CHROMIUM", CHROMIUM.toString()));
      Process node = pb.start();
      node.getOutputStream().close();
      boolean finished = node.waitFor(180, TimeUnit.SECONDS);
      if (!finished) {
        node.destroyForcibly();
      }
      String log = Files.readString(dir.resolve("e2e.log"), StandardCharsets.UTF_8);
      System.out.println(log);
      assertThat(finished).as("the browser scenarios finish in time").isTrue();
      List<String> lines = log.lines().filter(l -> !l.isBlank()).toList();
      JsonNode result = Http.JSON.readTree(lines.get(lines.size() - 1));
      assertThat(result.path("problems")).as(log).isEmpty();
      assertThat(result.path("ok").asBoolean()).isTrue();
      assertThat(node.exitValue()).isZero();
      assertThat(shots.resolve("annotator.png")).isNotEmptyFile();
      assertThat(shots.resolve("models.png")).isNotEmptyFile();

      // what the browser did reached Kafka, each event once
      Await.until(Duration.ofSeconds(30), "the outbox to drain",
          () -> server.relay().orElseThrow().pending() == 0);
      List<LabelEvent> events = KafkaTopics.readCommitted(KAFKA.bootstrapServers(), "vigil.labels", LabelEvent.class);
      assertThat(events).extracting(LabelEvent::getEventId).doesNotHaveDuplicates();
      assertThat(events).anySatisfy(e -> assertThat(e.getRetracts()).isNotNull());
      assertThat(events).anySatisfy(e -> assertThat(e.getAnnotator()).isEqualTo("rev"));
    }
  }

  private void seed(LabelingServer server) throws IOException {
    server.auth().createUser("test", "ann", Role.ANNOTATOR, "ann-password-1");
    server.auth().createUser("test", "rev", Role.REVIEWER, "rev-password-1");
    TaskQueue queue = server.queue();
    // a conflict: two annotators disagreed on an item that went to both
    TaskQueue overlapping = new TaskQueue(server.database(), System::currentTimeMillis, 60_000, 1.0, 2);
    overlapping.enqueue(Fixtures.request("conflict-1", "cache-1", 0.1));
    for (String[] who : new String[][] {{"carol", "ANOMALY"}, {"dave", "NORMAL"}}) {
      overlapping.next(who[0]);
      server.labels().submit(who[0], "conflict-1",
          new LabelService.Submission(who[1], List.of(), null, who[0] + "-conflict-key"));
    }
    queue.enqueue(Fixtures.request("task-1", "web-1", 10, LabelReason.UNCERTAIN, null,
        Map.of("cpu", 0.62, "mem", 0.25, "disk_io", 0.13)));
    queue.enqueue(Fixtures.request("task-2", "web-2", 9, LabelReason.DRIFT, null, Map.of("mem", 0.7)));
    queue.enqueue(Fixtures.request("task-3", "db-1", 8, LabelReason.AUDIT, null, Map.of("disk_io", 0.5)));
    queue.enqueue(Fixtures.request("task-xss", "<img src=x onerror=\"window.__xss=1\">", 5,
        LabelReason.OTHER, null, Map.of("<script>window.__xss=2</script>", 0.9)));
    queue.enqueue(Fixtures.request("task-5", "web-3", 1));
  }
}
