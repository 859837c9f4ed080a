package io.vigil.labeling.kafka;

import static java.util.Objects.requireNonNull;

import io.vigil.labeling.store.TaskQueue;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.TraceContext;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads label requests into the queue. Offsets are committed only after the requests of a poll are
 * in the database, and the queue drops a second request for a sample id, so a restart that reads a
 * record again changes nothing. A record that cannot be decoded goes to the dead-letter topic with
 * its raw bytes and the reason, and reading goes on.
 */
public final class LabelRequestConsumer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LabelRequestConsumer.class);
  private static final AvroSerde<LabelRequest> REQUESTS = AvroSerde.of(LabelRequest.class);
  private static final AvroSerde<DeadLetter> DEAD = AvroSerde.of(DeadLetter.class);

  /** Counters for metrics. */
  public interface Listener {
    Listener NONE = new Listener() { };

    default void added() { }

    default void duplicate() { }

    default void deadLettered() { }
  }

  private final TaskQueue queue;
  private final String bootstrapServers;
  private final String groupId;
  private final String topic;
  private final String dlqTopic;
  private final Listener listener;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running;
  private volatile boolean healthy;
  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> dlq;
  private Thread thread;

  public LabelRequestConsumer(TaskQueue queue, String bootstrapServers, String groupId, String topic,
      String dlqTopic, Listener listener) {
    this.queue = requireNonNull(queue, "queue");
    this.bootstrapServers = requireNonNull(bootstrapServers, "bootstrapServers");
    this.groupId = requireNonNull(groupId, "groupId");
    this.topic = requireNonNull(topic, "topic");
    this.dlqTopic = requireNonNull(dlqTopic, "dlqTopic");
    this.listener = requireNonNull(listener, "listener");
  }

  public synchronized void start() {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-labeling-dlq");
    dlq = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    running = true;
    thread = new Thread(this::run, "label-request-consumer");
    thread.setDaemon(true);
    thread.start();
  }

  public boolean healthy() {
    return healthy && running;
  }

  private void run() {
    try {
      consumer.subscribe(List.of(topic));
      healthy = true;
      while (running) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
          continue;
        }
        try {
          for (ConsumerRecord<byte[], byte[]> r : records) {
            handle(r);
          }
          consumer.commitSync();
          healthy = true;
        } catch (RuntimeException e) {
          // the store (or the DLQ) is down: read the same records again after a pause
          healthy = false;
          LOG.warn("could not store label requests, will retry: {}", e.toString());
          for (TopicPartition tp : records.partitions()) {
            OffsetAndMetadata committed = consumer.committed(java.util.Set.of(tp)).get(tp);
            consumer.seek(tp, committed == null ? records.records(tp).get(0).offset() : committed.offset());
          }
          if (stopped.await(1, TimeUnit.SECONDS)) {
            return;
          }
        }
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      consumer.close(Duration.ofSeconds(5));
      healthy = false;
    }
  }

  private void handle(ConsumerRecord<byte[], byte[]> r) {
    LabelRequest request;
    try {
      request = REQUESTS.decode(r.value());
    } catch (RecordDecodingException e) {
      deadLetter(r, e.code().name(), e.getMessage());
      return;
    }
    if (request.getSampleId().isBlank() || request.getEntity().isBlank()) {
      deadLetter(r, "INVALID_REQUEST", "label request without sample id or entity");
      return;
    }
    String traceparent = TraceContext.traceparent(r.headers());
    String tracestate = traceparent == null ? null : TraceContext.tracestate(r.headers());
    if (queue.enqueue(request, traceparent, tracestate) == TaskQueue.Enqueued.ADDED) {
      listener.added();
    } else {
      listener.duplicate();
      LOG.debug("sample {} is already queued; request {} dropped", request.getSampleId(),
          request.getRequestId());
    }
  }

  private void deadLetter(ConsumerRecord<byte[], byte[]> r, String code, String reason) {
    Map<String, ByteBuffer> headers = new HashMap<>();
    for (Header h : r.headers()) {
      headers.put(h.key(), ByteBuffer.wrap(h.value() == null ? new byte[0] : h.value()));
    }
    DeadLetter d = DeadLetter.newBuilder()
        .setSourceTopic(r.topic())
        .setPartition(r.partition())
        .setOffset(r.offset())
        .setKey(r.key() == null ? null : ByteBuffer.wrap(r.key()))
        .setValue(r.value() == null ? null : ByteBuffer.wrap(r.value()))
        .setHeaders(headers)
        .setStage("labeling-ui/ingest")
        .setErrorCode(code)
        .setReason(reason)
        .setFailedAt(Instant.now())
        .build();
    try {
      dlq.send(new ProducerRecord<>(dlqTopic, r.key(), DEAD.encode(d))).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot write to the dead-letter topic " + dlqTopic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while dead-lettering", e);
    }
    listener.deadLettered();
    LOG.warn("label request at {}-{}@{} dead-lettered: {} {}", r.topic(), r.partition(), r.offset(),
        code, reason);
  }

  @Override
  public void close() {
    running = false;
    stopped.countDown();
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (dlq != null) {
      dlq.close(Duration.ofSeconds(5));
    }
  }
}
