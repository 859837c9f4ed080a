package io.vigil.training.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.labeling.LabelingConfig;
import io.vigil.labeling.LabelingServer;
import io.vigil.labeling.store.LabelService;
import io.vigil.schemas.ContextPoint;
import io.vigil.schemas.LabelReason;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.Prediction;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil train --labels store}: the labels come from the real labeling service's training
 * export (H2 store, Kafka off), signed in over HTTP as a reviewer.
 */
class TrainingLabelsStoreTest {

  static final String SECRET = "test-session-secret-0123456789abcdef0123456789";
  static final String PASSWORD = "admin-pass-for-tests";
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path dir;

  LabelingConfig config() {
    LabelingConfig d = LabelingConfig.defaults();
    LabelingConfig.Kafka k = d.kafka();
    return d.withServer(new LabelingConfig.Server("127.0.0.1", 0, false, 2))
        .withDb(new LabelingConfig.Db("jdbc:h2:file:" + dir.resolve("labels") + ";WRITE_DELAY=0", "sa", "", 4))
        .withKafka(new LabelingConfig.Kafka(false, "", k.groupId(), k.labelRequestsTopic(), k.labelsTopic(),
            k.modelEventsTopic(), k.dlqTopic(), k.outboxMarkerTopic(), k.transactionalId(), 50))
        .withSecurity(new LabelingConfig.Security(SECRET, 12, 10, "admin", PASSWORD, "", ""))
        .withQueue(new LabelingConfig.Queue(300, 0, 2));
  }

  static LabelRequest request(String sampleId, int i) {
    Instant end = T0.plusSeconds(60L * i);
    Prediction p = Prediction.newBuilder().setSampleId(sampleId).setEntity("host-1")
        .setWindowStart(end.minusSeconds(600)).setWindowEnd(end).setModelName("m").setModelVersion("1")
        .setScore(0.9).setUncertainty(0.5).setThreshold(1.0).setAnomaly(false).setAttributions(Map.of("cpu", 1.0))
        .setPredictedAt(end).build();
    ContextPoint c = ContextPoint.newBuilder().setTime(end).setMetrics(Map.of("cpu", 0.5)).setInWindow(true).build();
    return LabelRequest.newBuilder().setRequestId("req-" + sampleId).setSampleId(sampleId).setEntity("host-1")
        .setWindowStart(end.minusSeconds(600)).setWindowEnd(end).setReason(LabelReason.UNCERTAIN).setPriority(0.5)
        .setPrediction(p).setContext(List.of(c)).setCreatedAt(end).build();
  }

  @Test
  void readsTheTrainingExportSignedInAsAReviewer() {
    try (LabelingServer server = LabelingServer.start(config(),
        LabelingServer.Options.production().withPasswordIterations(1000))) {
      String[] answers = {"ANOMALY", "NORMAL", "NORMAL", "UNSURE", "ANOMALY"};
      for (int i = 0; i < answers.length; i++) {
        server.queue().enqueue(request("s-" + i, i));
        String leased = server.queue().next("admin").orElseThrow().sampleId();
        server.labels().submit("admin", leased, new LabelService.Submission(answers[Integer.parseInt(
            leased.substring(2))], List.of(), null, "key-" + leased + "-0001"));
      }
      TrainingLabels labels = TrainingLabels.fromStore(server.url(), "admin", PASSWORD, Duration.ofSeconds(10));
      assertThat(labels.size()).isEqualTo(4);
      assertThat(labels.source()).isEqualTo("label store " + server.url());
      assertThat(labels.records() - labels.unusable()).isEqualTo(4);
      Map<String, LabelBook.Label> bySample = labels.bySample();
      assertThat(bySample.get("s-0").anomaly()).isTrue();
      assertThat(bySample.get("s-1").anomaly()).isFalse();
      assertThat(bySample).doesNotContainKey("s-3");
      assertThat(bySample.get("s-4").eventId()).startsWith("store:s-4:ANOMALY:");

      assertThatThrownBy(() -> TrainingLabels.fromStore(server.url(), "admin", "wrong-password",
          Duration.ofSeconds(10))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("sign-in as admin refused (401");
    }
  }

  @Test
  void noCredentialsIsAClearError() {
    assertThatThrownBy(() -> TrainingLabels.fromStore("http://127.0.0.1:1", "reviewer", null, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user name and password");
  }
}
