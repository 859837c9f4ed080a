package io.vigil.cli.loop;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.topics.TopicNames;
import io.vigil.schemas.topics.VigilTopic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Live counts of the loop's committed records per topic (samples, features, predictions, label
 * requests, labels, drift reports), read by one {@code read_committed} consumer without a group
 * from the beginning of each topic, so they are exact and survive restarts of {@code up}.
 */
public final class LoopCounters implements AutoCloseable {

  /** The topics counted, in the order they are shown. */
  public static final List<VigilTopic> TOPICS = List.of(VigilTopic.TELEMETRY, VigilTopic.FEATURES,
      VigilTopic.PREDICTIONS, VigilTopic.LABEL_REQUESTS, VigilTopic.LABELS, VigilTopic.DRIFT);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, VigilTopic> byName = new HashMap<>();
  private final Map<VigilTopic, AtomicLong> counts = new EnumMap<>(VigilTopic.class);
  private final Thread thread;
  private volatile boolean running = true;

  public LoopCounters(String bootstrapServers, TopicNames topics) {
    requireNonNull(topics, "topics");
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, requireNonNull(bootstrapServers, "bootstrapServers"));
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "vigil-up-counters");
    consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    for (VigilTopic t : TOPICS) {
      byName.put(topics.name(t), t);
      counts.put(t, new AtomicLong());
    }
    thread = new Thread(this::run, "vigil-counters");
    thread.setDaemon(true);
  }

  public LoopCounters start() {
    thread.start();
    return this;
  }

  /** Committed records counted so far on the topic. */
  public long count(VigilTopic topic) {
    AtomicLong n = counts.get(topic);
    return n == null ? 0 : n.get();
  }

  private void run() {
    try {
      List<TopicPartition> parts = new ArrayList<>();
      for (String name : byName.keySet()) {
        consumer.partitionsFor(name, Duration.ofSeconds(10))
            .forEach(p -> parts.add(new TopicPartition(name, p.partition())));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          counts.get(byName.get(r.topic())).incrementAndGet();
        }
      }
    } catch (WakeupException stopping) {
      // close() woke us
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  @Override
  public void close() {
    running = false;
    if (!thread.isAlive()) {
      consumer.close(Duration.ofSeconds(2));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
