package io.vigil.streamio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The jobs' Kafka source on a real broker, in a Flink MiniCluster. */
class KafkaSourcesTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void start() {
    kafka = EmbeddedKafka.startEphemeral();
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  /**
   * The fetch limits are no limit on a record: one larger than a whole fetch response is still read
   * (the broker sends the first batch of a partition whatever its size), and so is what follows it.
   * Aborted transactions are not read, and a bounded source stops at the offsets it started with.
   */
  @Test
  void readsCommittedRecordsOfAnySizeInOrderPerPartition() throws Exception {
    String topic = "sources-" + UUID.randomUUID();
    kafka.admin().createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
    List<String> expected = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "transactional.id", "sources-test", "linger.ms", 5),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      p.initTransactions();
      p.beginTransaction();
      for (int i = 0; i < 40; i++) {
        // every tenth record larger than a fetch response may be
        int size = i % 10 == 3 ? KafkaSources.FETCH_MAX_BYTES + 200_000 : 100 + i;
        String value = i + ":" + "x".repeat(size);
        p.send(new ProducerRecord<>(topic, i % 2, null, value.getBytes(StandardCharsets.UTF_8)));
        expected.add(i + ":" + size);
      }
      p.commitTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, 0, null, "aborted".getBytes(StandardCharsets.UTF_8)));
      p.flush();
      p.abortTransaction();
    }

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    List<String> read = new ArrayList<>();
    try (CloseableIterator<String> it = env.fromSource(
        KafkaSources.builder(kafka.bootstrapServers(), topic, "sources-test", new Sizes(), true).build(),
        WatermarkStrategy.noWatermarks(), "source").executeAndCollect()) {
      it.forEachRemaining(read::add);
    }
    assertEquals(expected.stream().sorted().toList(), read.stream().sorted().toList());
    for (int partition = 0; partition < 2; partition++) {
      int part = partition;
      List<Integer> order = read.stream().map(s -> Integer.parseInt(s.substring(0, s.indexOf(':'))))
          .filter(i -> i % 2 == part).toList();
      assertEquals(order.stream().sorted().toList(), order, "partition " + part + " in order");
    }
  }

  /** Each record as "index:length of its padding". */
  private static final class Sizes implements KafkaRecordDeserializationSchema<String> {
    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<String> out) {
      String v = new String(r.value(), StandardCharsets.UTF_8);
      int colon = v.indexOf(':');
      out.collect(v.substring(0, colon) + ":" + (v.length() - colon - 1));
    }

    @Override
    public TypeInformation<String> getProducedType() {
      return TypeInformation.of(String.class);
    }
  }
}
