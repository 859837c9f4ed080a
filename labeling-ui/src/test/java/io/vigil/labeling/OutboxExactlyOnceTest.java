package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.Await;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.labeling.kafka.OutboxRelay;
import io.vigil.labeling.store.Database;
import io.vigil.labeling.store.LabelFilter;
import io.vigil.labeling.store.LabelService;
import io.vigil.labeling.store.StoredLabel;
import io.vigil.labeling.store.TaskQueue;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every acknowledged label reaches the topic exactly once, even when the relay dies between the
 * Kafka commit and marking the rows sent, or in the middle of a Kafka transaction.
 */
class OutboxExactlyOnceTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @TempDir Path dir;
  Database db;
  TaskQueue queue;
  LabelService labels;
  String labelsTopic;
  String markerTopic;
  String txId;
  int next;

  @BeforeEach
  void open(TestInfo info) throws Exception {
    String name = info.getTestMethod().orElseThrow().getName();
    labelsTopic = "labels-" + name;
    markerTopic = "marker-" + name;
    txId = "tx-" + name;
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic(labelsTopic, 2, (short) 1),
          new NewTopic(markerTopic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
          .all().get();
    }
    db = Fixtures.database(dir);
    queue = new TaskQueue(db, System::currentTimeMillis, 60_000, 0, 2);
    labels = new LabelService(db, System::currentTimeMillis, labelsTopic, 60_000);
  }

  @AfterEach
  void close() {
    db.close();
  }

  private void label(int n) {
    for (int i = 0; i < n; i++) {
      String id = "s" + (next++);
      queue.enqueue(Fixtures.request(id, "h" + (i % 3), 1));
      queue.next("ann");
      labels.submit("ann", id, new LabelService.Submission(i % 2 == 0 ? "NORMAL" : "UNSURE", List.of(),
          null, "key-" + id + "-xxxx"));
    }
  }

  private OutboxRelay relay(OutboxRelay.CrashPoints crash) {
    return new OutboxRelay(db, KAFKA.bootstrapServers(), txId, markerTopic, 50,
        System::currentTimeMillis, crash, OutboxRelay.Listener.NONE);
  }

  private OutboxRelay.CrashPoints crashOnceAt(OutboxRelay.Stage where) {
    AtomicBoolean crashed = new AtomicBoolean();
    return (stage, ids) -> {
      if (stage == where && crashed.compareAndSet(false, true)) {
        throw new OutboxRelay.SimulatedCrash("killed at " + stage + " holding " + ids.size() + " rows");
      }
    };
  }

  private void assertEveryLabelExactlyOnceOnTheTopic() {
    List<String> stored = labels.list(LabelFilter.all()).stream().map(StoredLabel::eventId).toList();
    List<String> published = KafkaTopics.readCommitted(KAFKA.bootstrapServers(), labelsTopic, LabelEvent.class)
        .stream().map(LabelEvent::getEventId).toList();
    assertThat(published).hasSameSizeAs(stored).containsExactlyInAnyOrderElementsOf(stored);
  }

  @Test
  void relayKilledAfterTheKafkaCommitButBeforeMarkingRowsSentDoesNotPublishThemAgain() {
    label(30);
    OutboxRelay first = relay(crashOnceAt(OutboxRelay.Stage.AFTER_KAFKA_COMMIT));
    first.start();
    Await.until(Duration.ofSeconds(30), "the first relay to die", () -> !first.alive());
    assertThat(first.pending()).as("published but not marked").isEqualTo(30);
    first.close();

    label(10);
    try (OutboxRelay second = relay(OutboxRelay.CrashPoints.NONE)) {
      second.start();
      Await.until(Duration.ofSeconds(30), "the outbox to drain", () -> second.pending() == 0);
    }
    assertEveryLabelExactlyOnceOnTheTopic();
  }

  @Test
  void relayKilledInsideAKafkaTransactionLosesNothingAndDuplicatesNothing() {
    label(25);
    OutboxRelay first = relay(crashOnceAt(OutboxRelay.Stage.BEFORE_KAFKA_COMMIT));
    first.start();
    Await.until(Duration.ofSeconds(30), "the first relay to die", () -> !first.alive());
    assertThat(first.pending()).isEqualTo(25);
    first.close();

    label(5);
    try (OutboxRelay second = relay(OutboxRelay.CrashPoints.NONE)) {
      second.start();
      Await.until(Duration.ofSeconds(30), "the outbox to drain", () -> second.pending() == 0);
      label(5); // labels stored while the relay runs go out too
      Await.until(Duration.ofSeconds(30), "the outbox to drain again", () -> second.pending() == 0);
    }
    assertEveryLabelExactlyOnceOnTheTopic();
  }

  @Test
  void aLabelCarriesTheTraceContextOfTheRequestItAnswers() {
    String parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    queue.enqueue(Fixtures.request("traced", "h", 1), parent, "vendor=1");
    queue.enqueue(Fixtures.request("plain", "h", 1));
    for (int i = 0; i < 2; i++) {
      String id = queue.next("ann").orElseThrow().sampleId();
      labels.submit("ann", id, new LabelService.Submission("NORMAL", List.of(), null, "key-" + id + "-xxxx"));
    }
    try (OutboxRelay relay = relay(OutboxRelay.CrashPoints.NONE)) {
      relay.start();
      Await.until(Duration.ofSeconds(30), "the outbox to drain", () -> relay.pending() == 0);
    }
    AvroSerde<LabelEvent> serde = AvroSerde.of(LabelEvent.class);
    Map<String, String> traces = new HashMap<>();
    for (var r : KafkaTopics.recordsCommitted(KAFKA.bootstrapServers(), labelsTopic)) {
      var h = r.headers().lastHeader("traceparent");
      var state = r.headers().lastHeader("tracestate");
      traces.put(serde.decode(r.value()).getSampleId(), h == null ? "-"
          : new String(h.value(), StandardCharsets.US_ASCII) + " " + new String(state.value(), StandardCharsets.US_ASCII));
    }
    assertThat(traces).containsOnly(Map.entry("traced", parent + " vendor=1"), Map.entry("plain", "-"));
  }
}
