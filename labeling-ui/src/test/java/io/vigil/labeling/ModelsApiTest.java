package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.embedded.junit.Await;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.labeling.auth.Role;
import io.vigil.schemas.ModelEvent;
import io.vigil.schemas.ModelEventType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The models page's API against an MLflow-REST stub over HTTP, with events on a real broker. */
class ModelsApiTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @TempDir Path dir;

  @Test
  void reviewerSeesChampionAgainstChallengerAndApprovesAPromotionWithAReason() throws Exception {
    try (StubRegistry registry = new StubRegistry();
        LabelingServer server = LabelingServer.start(
            Fixtures.config(dir, KAFKA.bootstrapServers()).withRegistry(
                new LabelingConfig.Registry(registry.url(), "vigil-anomaly", 5000)),
            Fixtures.options())) {
      server.auth().createUser("test", "rev", Role.REVIEWER, "rev-password-1");
      Http rev = Http.signedIn(server.url(), "rev", "rev-password-1");

      JsonNode overview = rev.get("/api/models").json();
      assertThat(overview.path("champion").path("version").asText()).isEqualTo("1");
      assertThat(overview.path("challenger").path("version").asText()).isEqualTo("2");
      assertThat(overview.path("challenger").path("metrics").path("f1").asDouble()).isEqualTo(0.68);
      assertThat(overview.path("history")).hasSize(2);

      Http.Answer reject = rev.post("/api/models/decision",
          Map.of("version", "2", "decision", "reject", "reason", "wait for more incident labels"));
      assertThat(reject.status()).isEqualTo(200);
      assertThat(registry.calls()).isEmpty();

      Http.Answer approve = rev.post("/api/models/decision",
          Map.of("version", "2", "decision", "approve", "reason", "better F1 and PR-AUC"));
      assertThat(approve.status()).isEqualTo(200);
      assertThat(registry.calls()).containsExactly(
          new StubRegistry.AliasCall("vigil-anomaly", "champion", "2", "rev"));
      assertThat(rev.get("/api/models").json().path("champion").path("version").asText()).isEqualTo("2");

      Await.until(Duration.ofSeconds(30), "two model events", () -> KafkaTopics.readCommitted(
          KAFKA.bootstrapServers(), "vigil.model-events", ModelEvent.class).size() == 2);
      List<ModelEvent> events = KafkaTopics.readCommitted(KAFKA.bootstrapServers(), "vigil.model-events",
          ModelEvent.class);
      assertThat(events).extracting(ModelEvent::getType)
          .containsExactly(ModelEventType.PROMOTION_REJECTED, ModelEventType.PROMOTION_APPROVED);
      assertThat(events.get(1).getActor()).isEqualTo("rev");
      assertThat(events.get(1).getReason()).isEqualTo("better F1 and PR-AUC");
      assertThat(events.get(1).getPreviousVersion()).isEqualTo("1");

      JsonNode audit = rev.get("/api/audit").json().path("entries");
      assertThat(audit.findValuesAsText("action")).contains("PROMOTION_APPROVED", "PROMOTION_REJECTED", "LOGIN");
      String csv = rev.get("/api/audit?format=csv").body();
      assertThat(csv).startsWith("id,at,actor,action,target,detail").contains("PROMOTION_APPROVED");
    }
  }
}
