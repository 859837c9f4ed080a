package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.Await;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.labeling.kafka.LabelRequestConsumer;
import io.vigil.labeling.store.Database;
import io.vigil.labeling.store.TaskQueue;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class LabelRequestConsumerTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @TempDir Path dir;

  @Test
  void queuesRequestsOncePerSampleAndDeadLettersUnreadableRecordsWithTheReason() throws Exception {
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic("requests", 2, (short) 1), new NewTopic("dlq", 1, (short) 1)))
          .all().get();
    }
    AvroSerde<LabelRequest> serde = AvroSerde.of(LabelRequest.class);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (String id : List.of("a", "b", "a")) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("requests", id.getBytes(StandardCharsets.UTF_8),
            serde.encode(Fixtures.request(id, "host-" + id, 0.5)));
        if (id.equals("b")) {
          r.headers().add("traceparent", TRACEPARENT.getBytes(StandardCharsets.US_ASCII));
        }
        p.send(r).get();
      }
      p.send(new ProducerRecord<>("requests", "junk".getBytes(StandardCharsets.UTF_8),
          "not avro at all".getBytes(StandardCharsets.UTF_8))).get();
    }
    try (Database db = Fixtures.database(dir)) {
      TaskQueue queue = new TaskQueue(db, System::currentTimeMillis, 60_000, 0, 2);
      try (LabelRequestConsumer consumer = new LabelRequestConsumer(queue, KAFKA.bootstrapServers(),
          "labeling-test", "requests", "dlq", LabelRequestConsumer.Listener.NONE)) {
        consumer.start();
        Await.until(Duration.ofSeconds(30), "two tasks and one dead letter",
            () -> queue.openTasks() == 2
                && KafkaTopics.readCommitted(KAFKA.bootstrapServers(), "dlq", DeadLetter.class).size() == 1);
      }
      DeadLetter d = KafkaTopics.readCommitted(KAFKA.bootstrapServers(), "dlq", DeadLetter.class).get(0);
      assertThat(d.getSourceTopic()).isEqualTo("requests");
      assertThat(d.getErrorCode()).isEqualTo("BAD_HEADER");
      assertThat(d.getReason()).contains("LabelRequest");
      assertThat(StandardCharsets.UTF_8.decode(d.getValue()).toString()).isEqualTo("not avro at all");
      assertThat(queue.openTasks()).isEqualTo(2);
      // the request's trace context is kept with its task, for the labels that will answer it
      Map<String, String> traces = db.inTransaction(c -> {
        Map<String, String> out = new java.util.HashMap<>();
        try (var ps = c.prepareStatement("SELECT sample_id, traceparent FROM tasks");
            var rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), rs.getString(2) == null ? "-" : rs.getString(2));
          }
        }
        return out;
      });
      assertThat(traces).containsOnly(Map.entry("a", "-"), Map.entry("b", TRACEPARENT));
    }
  }

  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
}
