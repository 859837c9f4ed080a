package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.ModelEvent;
import io.vigil.schemas.ModelEventType;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code vigil.model-events} and asks for a refresh whenever an alias of the served model
 * moves. It reads from the end of the topic without a consumer group (every replica reacts), and
 * skips records it cannot decode. Polling the aliases ({@link ServingServer}) covers events missed
 * while Kafka was away.
 */
public final class AliasWatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AliasWatcher.class);
  private static final Set<ModelEventType> MOVES = EnumSet.of(ModelEventType.ALIAS_SET,
      ModelEventType.ALIAS_REMOVED, ModelEventType.PROMOTED, ModelEventType.ROLLED_BACK);

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final String modelName;
  private final Runnable onMove;
  private final AvroSerde<ModelEvent> serde = AvroSerde.of(ModelEvent.class);
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch positioned = new CountDownLatch(1);
  private volatile boolean closing;

  public AliasWatcher(Consumer<byte[], byte[]> consumer, String topic, String modelName, Runnable onMove) {
    this.consumer = requireNonNull(consumer, "consumer");
    this.topic = requireNonNull(topic, "topic");
    this.modelName = requireNonNull(modelName, "modelName");
    this.onMove = requireNonNull(onMove, "onMove");
    this.thread = new Thread(this::run, "model-events");
    thread.setDaemon(true);
    thread.start();
  }

  public static AliasWatcher create(String bootstrapServers, String topic, String modelName, Runnable onMove) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "vigil-serving-model-events");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    return new AliasWatcher(new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
        topic, modelName, onMove);
  }

  private void run() {
    try {
      while (!closing && !assign()) {
        // retried: the topic may not exist yet, or Kafka may be away
        if (stopped.await(1, TimeUnit.SECONDS)) {
          return;
        }
      }
      while (!closing) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          handle(r);
        }
      }
    } catch (WakeupException e) {
      if (!closing) {
        LOG.error("model event consumer woken up unexpectedly", e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(2)));
    }
  }

  private boolean assign() {
    try {
      List<PartitionInfo> parts = consumer.partitionsFor(topic);
      if (parts == null || parts.isEmpty()) {
        LOG.warn("topic {} has no partitions yet; model events not followed (aliases are polled)", topic);
        return false;
      }
      List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(tps);
      consumer.seekToEnd(tps);
      tps.forEach(consumer::position);
      positioned.countDown();
      LOG.info("following model events on {} for model {}", topic, modelName);
      return true;
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      LOG.warn("cannot read {} ({}); model events not followed yet (aliases are polled)", topic, e.toString());
      return false;
    }
  }

  private void handle(ConsumerRecord<byte[], byte[]> r) {
    ModelEvent event;
    try {
      event = serde.decode(r.value());
    } catch (RecordDecodingException e) {
      LOG.warn("skipping unreadable model event at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
          e.getMessage());
      return;
    }
    if (modelName.equals(event.getModelName()) && MOVES.contains(event.getType())) {
      LOG.info("model event type={} model={} version={} alias={}", event.getType(),
          event.getModelName(), event.getModelVersion(), event.getAlias());
      onMove.run();
    }
  }

  /**
   * Waits (at most {@code max}) until the watcher reads the topic from its current end, so that
   * every move announced from then on is seen; false when Kafka could not be reached in time.
   */
  public boolean awaitPositioned(Duration max) throws InterruptedException {
    return positioned.await(max.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    closing = true;
    stopped.countDown();
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
