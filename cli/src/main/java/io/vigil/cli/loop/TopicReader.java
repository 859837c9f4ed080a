package io.vigil.cli.loop;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads whole topics once, from the beginning to the end offsets at the time of the call, committed
 * records only ({@code read_committed}), without a consumer group: for {@code vigil trace}, the
 * loop's counters and tests.
 */
public final class TopicReader implements AutoCloseable {

  private final String bootstrapServers;
  private final Admin admin;

  public TopicReader(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000));
  }

  /** End offset summed over the topic's partitions (records plus transaction markers); 0 when it doesn't exist. */
  public long endOffset(String topic) {
    try {
      var desc = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      Map<TopicPartition, OffsetSpec> req = new HashMap<>();
      desc.partitions().forEach(p -> req.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
      ListOffsetsResult r = admin.listOffsets(req);
      long sum = 0;
      for (var e : r.all().get().values()) {
        sum += e.offset();
      }
      return sum;
    } catch (Exception e) {
      return 0;
    }
  }

  /** Hands every committed record of the topic, up to its current end, to {@code each}. */
  public void readAll(String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      if (parts.isEmpty()) {
        return;
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (true) {
        boolean done = true;
        for (TopicPartition p : parts) {
          if (consumer.position(p) < end.get(p)) {
            done = false;
            break;
          }
        }
        if (done) {
          return;
        }
        consumer.poll(Duration.ofMillis(500)).forEach(each);
      }
    }
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
