package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.embedded.junit.Await;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.labeling.auth.Role;
import io.vigil.labeling.kafka.OutboxRelay;
import io.vigil.schemas.LabelEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole service over HTTP: labels acknowledged while its relay dies between the Kafka commit
 * and marking the rows sent; the server is stopped and a new one started on the same database and
 * broker; every acknowledged label is on the topic exactly once.
 */
class ServerRestartTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @TempDir Path dir;

  @Test
  void everyAcknowledgedLabelIsPublishedExactlyOnceAcrossARelayCrashAndARestart() {
    List<String> acknowledged = new ArrayList<>();
    AtomicBoolean crashed = new AtomicBoolean();
    OutboxRelay.CrashPoints crashOnce = (stage, ids) -> {
      if (stage == OutboxRelay.Stage.AFTER_KAFKA_COMMIT && crashed.compareAndSet(false, true)) {
        throw new OutboxRelay.SimulatedCrash("killed before marking " + ids.size() + " rows");
      }
    };
    LabelingConfig config = Fixtures.config(dir, KAFKA.bootstrapServers());
    try (LabelingServer first = LabelingServer.start(config, Fixtures.options().withCrashPoints(crashOnce))) {
      first.auth().createUser("test", "ann", Role.ANNOTATOR, "ann-password-1");
      for (int i = 0; i < 12; i++) {
        first.queue().enqueue(Fixtures.request("r" + i, "host-" + (i % 3), 20 - i));
      }
      Http ann = Http.signedIn(first.url(), "ann", "ann-password-1");
      for (int i = 0; i < 8; i++) {
        acknowledged.add(label(ann, i));
      }
      Await.until(Duration.ofSeconds(30), "the relay to crash", () -> !first.relay().orElseThrow().alive());
      assertThat(first.relay().orElseThrow().pending()).isPositive();
      // the HTTP side still acknowledges labels: they wait in the outbox
      for (int i = 8; i < 10; i++) {
        acknowledged.add(label(ann, i));
      }
    }
    try (LabelingServer second = LabelingServer.start(config, Fixtures.options())) {
      Http ann = Http.signedIn(second.url(), "ann", "ann-password-1");
      acknowledged.add(label(ann, 10));
      Await.until(Duration.ofSeconds(30), "the outbox to drain",
          () -> second.relay().orElseThrow().pending() == 0);
    }
    List<String> published = KafkaTopics.readCommitted(KAFKA.bootstrapServers(), "vigil.labels", LabelEvent.class)
        .stream().map(LabelEvent::getEventId).toList();
    assertThat(published).hasSize(11).containsExactlyInAnyOrderElementsOf(acknowledged);
  }

  private static String label(Http ann, int i) {
    JsonNode task = ann.get("/api/next").json().path("task");
    Http.Answer a = ann.post("/api/tasks/" + task.path("sampleId").asText() + "/label",
        Map.of("label", i % 4 == 0 ? "ANOMALY" : "NORMAL", "idempotencyKey", "restart-key-" + i));
    assertThat(a.status()).isEqualTo(201);
    return a.json().path("label").path("eventId").asText();
  }
}
