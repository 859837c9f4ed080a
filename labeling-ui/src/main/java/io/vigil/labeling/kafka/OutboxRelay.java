package io.vigil.labeling.kafka;

import static java.util.Objects.requireNonNull;

import io.vigil.labeling.store.Database;
import io.vigil.schemas.TraceContext;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the outbox to Kafka exactly once.
 *
 * <p>Each batch of unsent rows goes out in one Kafka transaction that also writes, to a compacted
 * marker topic, the list of outbox ids in the batch. Only after the Kafka commit are the rows marked
 * sent in the database, and the next batch starts only after that. So at most the last batch can be
 * published but not marked. On start the relay first takes over the transactional id (which aborts
 * a transaction a crashed predecessor left open), then reads the last committed marker and marks
 * those ids sent before publishing anything: a row is never published twice, and a row is never
 * lost, because it stays unsent until a committed transaction holds it. Readers use {@code
 * isolation.level=read_committed}; each record also carries its {@code eventId} for consumers that
 * de-duplicate.
 *
 * <p>One relay per database (one transactional id); a second one fences the first.
 */
public final class OutboxRelay implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
  private static final int BATCH = 500;

  /** Where a test can stop the relay as if the process died there. */
  public enum Stage { BEFORE_KAFKA_COMMIT, AFTER_KAFKA_COMMIT }

  /** Test hook: throw {@link SimulatedCrash} to stop the relay at a stage. */
  @FunctionalInterface
  public interface CrashPoints {
    CrashPoints NONE = (stage, ids) -> { };

    void at(Stage stage, List<Long> ids);
  }

  /** Thrown by a {@link CrashPoints} hook: the relay stops at once, without any cleanup step. */
  public static final class SimulatedCrash extends RuntimeException {
    public SimulatedCrash(String message) {
      super(message);
    }
  }

  /** Counters for metrics. */
  public interface Listener {
    Listener NONE = n -> { };

    void published(int records);
  }

  private final Database db;
  private final String bootstrapServers;
  private final String transactionalId;
  private final String markerTopic;
  private final long intervalMillis;
  private final LongSupplier clock;
  private final CrashPoints crash;
  private final Listener listener;
  private final Semaphore wake = new Semaphore(0);
  private volatile boolean running;
  private volatile boolean healthy;
  private volatile Thread thread;
  private volatile KafkaProducer<String, byte[]> producer;

  public OutboxRelay(Database db, String bootstrapServers, String transactionalId,
      String markerTopic, long intervalMillis, LongSupplier clock, CrashPoints crash,
      Listener listener) {
    this.db = requireNonNull(db, "db");
    this.bootstrapServers = requireNonNull(bootstrapServers, "bootstrapServers");
    this.transactionalId = requireNonNull(transactionalId, "transactionalId");
    this.markerTopic = requireNonNull(markerTopic, "markerTopic");
    this.intervalMillis = intervalMillis;
    this.clock = requireNonNull(clock, "clock");
    this.crash = requireNonNull(crash, "crash");
    this.listener = requireNonNull(listener, "listener");
  }

  /** Takes over the transactional id, recovers the last batch, and starts publishing. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    Thread t = new Thread(this::run, "outbox-relay");
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  /** Asks the relay to look for new rows now. */
  public void wake() {
    wake.release();
  }

  public boolean healthy() {
    return healthy && running;
  }

  /** Whether the relay thread still runs (false after a simulated crash). */
  public boolean alive() {
    Thread t = thread;
    return t != null && t.isAlive();
  }

  private void run() {
    long backoff = intervalMillis;
    try {
      while (running) {
        try {
          producer = newProducer();
          producer.initTransactions();
          recover();
          healthy = true;
          backoff = intervalMillis;
          while (running) {
            if (publishBatch() == 0 && running) {
              wake.tryAcquire(intervalMillis, TimeUnit.MILLISECONDS);
              wake.drainPermits();
            }
          }
        } catch (ProducerFencedException e) {
          LOG.error("another relay took over transactional id '{}'; this one stops", transactionalId);
          running = false;
        } catch (SimulatedCrash e) {
          throw e;
        } catch (RuntimeException e) {
          // Kafka or the database is unavailable: start over (a new producer aborts what was open)
          LOG.warn("publishing the outbox failed, retrying in {} ms: {}", backoff, e.toString());
        }
        healthy = false;
        closeProducer(Duration.ZERO);
        if (running && wake.tryAcquire(backoff, TimeUnit.MILLISECONDS)) {
          wake.drainPermits();
        }
        backoff = Math.min(backoff * 2, 30_000);
      }
    } catch (SimulatedCrash e) {
      LOG.warn("outbox relay: simulated crash ({})", e.getMessage());
      healthy = false;
      running = false;
      closeProducer(Duration.ZERO);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeProducer(Duration timeout) {
    KafkaProducer<String, byte[]> p = producer;
    producer = null;
    if (p != null) {
      p.close(timeout);
    }
  }

  /** Marks the ids of the last committed transaction sent (they may be unmarked after a crash). */
  private void recover() {
    List<Long> ids = lastCommittedMarker();
    if (!ids.isEmpty()) {
      int n = markSent(ids);
      if (n > 0) {
        LOG.info("outbox relay recovered: {} rows were published before a stop but not marked", n);
      }
    }
  }

  private List<Long> lastCommittedMarker() {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props, new StringDeserializer(),
        new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(markerTopic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      String last = null;
      while (c.position(tp) < end) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          if (transactionalId.equals(r.key()) && r.value() != null) {
            last = r.value();
          }
        }
      }
      if (last == null || last.isEmpty()) {
        return List.of();
      }
      List<Long> ids = new ArrayList<>();
      for (String s : last.split(",")) {
        ids.add(Long.parseLong(s));
      }
      return ids;
    }
  }

  /** Publishes one batch; returns how many rows. */
  int publishBatch() {
    record Row(long id, String topic, String key, byte[] payload, String eventId, String traceparent,
        String tracestate) {}
    List<Row> rows = db.inTransaction(c -> {
      List<Row> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, topic, record_key, payload, event_id, traceparent, tracestate FROM outbox"
              + " WHERE sent_at IS NULL ORDER BY id")) {
        ps.setMaxRows(BATCH);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBytes(4), rs.getString(5),
                rs.getString(6), rs.getString(7)));
          }
        }
      }
      return out;
    });
    if (rows.isEmpty()) {
      return 0;
    }
    List<Long> ids = rows.stream().map(Row::id).toList();
    producer.beginTransaction();
    try {
      for (Row r : rows) {
        ProducerRecord<String, byte[]> pr = new ProducerRecord<>(r.topic(), r.key(), r.payload());
        pr.headers().add(new RecordHeader("eventId", r.eventId().getBytes(StandardCharsets.UTF_8)));
        TraceContext.addTo(pr.headers(), r.traceparent(), r.tracestate());
        producer.send(pr);
      }
      producer.send(new ProducerRecord<>(markerTopic, transactionalId,
          ids.stream().map(String::valueOf).collect(Collectors.joining(",")).getBytes(StandardCharsets.UTF_8)));
      crash.at(Stage.BEFORE_KAFKA_COMMIT, ids);
      producer.commitTransaction();
    } catch (ProducerFencedException | SimulatedCrash e) {
      throw e;
    } catch (KafkaException e) {
      try {
        producer.abortTransaction();
      } catch (KafkaException abortFailed) {
        e.addSuppressed(abortFailed);
      }
      throw e;
    }
    crash.at(Stage.AFTER_KAFKA_COMMIT, ids);
    markSent(ids);
    listener.published(rows.size());
    return rows.size();
  }

  private int markSent(List<Long> ids) {
    long now = clock.getAsLong();
    return db.inTransaction(c -> {
      int n = 0;
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL")) {
        for (long id : ids) {
          ps.setLong(1, now);
          ps.setLong(2, id);
          ps.addBatch();
        }
        for (int u : ps.executeBatch()) {
          n += Math.max(u, 0);
        }
      }
      return n;
    });
  }

  /** Rows not yet published. */
  public long pending() {
    return db.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private KafkaProducer<String, byte[]> newProducer() {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-labeling-outbox");
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /** Stops after the batch in flight; unsent rows stay for the next start. */
  @Override
  public void close() {
    running = false;
    wake.release();
    Thread t = thread;
    if (t != null) {
      try {
        t.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeProducer(Duration.ofSeconds(5));
  }

}
