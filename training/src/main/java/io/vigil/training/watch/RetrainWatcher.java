package io.vigil.training.watch;

import static java.util.Objects.requireNonNull;

import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import io.vigil.schemas.DriftReport;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import io.vigil.training.EpochListener;
import io.vigil.training.Retraining;
import io.vigil.training.TrainingConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vigil train --watch}: follows labels, drift alarms and features on Kafka and retrains the
 * model when enough new labels arrived, on a drift alarm, or on a schedule — with hysteresis (a
 * minimum gap between run starts, never two runs at once) — then promotes, proposes or keeps the
 * candidate ({@link RetrainRun}) and records the decision.
 *
 * <p>Reading: one consumer without a group (nothing committed) is assigned every partition of the
 * three topics; labels and features are read from the beginning at start, so the label book and the
 * bounded feature store are rebuilt after a restart; drift from the end. Unreadable records are
 * counted and skipped.
 *
 * <p>In-process API for the launcher: {@link #start()}, {@link #close()} (graceful: the consumer
 * stops, a running run finishes within the grace period), {@link #status()}, {@link #triggerNow}, and
 * a {@link RetrainListener}.
 */
public final class RetrainWatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RetrainWatcher.class);

  /** Counters and the last decision, for the launcher and for metrics. */
  public record Status(boolean running, int runs, long labelsUsable, long newLabelsSinceLastRun,
      long labelEventsRead, long duplicateLabelEvents, long retractions, long featuresStored,
      long featuresEvicted, long driftAlarms, long unreadableRecords, RetrainDecision lastDecision,
      String lastVersion) {}

  private final TrainingConfig config;
  private final RetrainRun runner;
  private final RegistryClient registry;
  private final RetrainListener listener;
  private final Clock clock;
  private final WatchConfig w;

  private final Object lock = new Object();
  private final LabelBook labels = new LabelBook();
  private final FeatureStore features;
  private long newLabels;
  /**
   * Labels the champion already learned from when the watcher started (its {@code vigil.label_count}
   * tag): on a restart the labels topic is read again from the start, and those are not new. Cleared
   * by the first run.
   */
  private long learnedAtStart;
  private String pendingDrift;
  private String pendingManual;
  private Instant lastRunStart;
  private long labelEvents;
  private long driftAlarms;
  private long unreadable;

  private final AtomicBoolean runInProgress = new AtomicBoolean();
  private final AtomicInteger runs = new AtomicInteger();
  private final AtomicReference<RetrainDecision> lastDecision = new AtomicReference<>();
  private final AtomicReference<String> lastVersion = new AtomicReference<>();
  private final AtomicLong consumedUpTo = new AtomicLong();
  private final AtomicLong triggerChecks = new AtomicLong();

  private final AtomicBoolean stopping = new AtomicBoolean();
  private KafkaConsumer<String, byte[]> consumer;
  private Thread pollThread;
  private ScheduledExecutorService checker;
  private ExecutorService runExecutor;

  private final AvroSerde<LabelEvent> labelSerde = AvroSerde.of(LabelEvent.class);
  private final AvroSerde<DriftReport> driftSerde = AvroSerde.of(DriftReport.class);
  private final AvroSerde<FeatureVector> featureSerde = AvroSerde.of(FeatureVector.class);

  /**
   * @param registry where candidates are logged and registered and aliases moved
   * @param events where decisions ({@code PROMOTED}, {@code PROMOTION_PROPOSED}, {@code OTHER} for a
   *     kept champion) are published; the registry client publishes registrations and alias moves
   */
  public RetrainWatcher(TrainingConfig config, RegistryClient registry, ModelEventPublisher events,
      RetrainListener listener, Clock clock) {
    this.config = requireNonNull(config, "config");
    this.w = config.watch();
    this.listener = requireNonNull(listener, "listener");
    this.clock = requireNonNull(clock, "clock");
    this.registry = requireNonNull(registry, "registry");
    this.runner = new RetrainRun(config, registry, events, clock);
    this.features = new FeatureStore(w.data().maxStoredFeatures());
  }

  /** Starts reading and checking the triggers. */
  public synchronized RetrainWatcher start() {
    if (pollThread != null) {
      throw new IllegalStateException("already started");
    }
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, w.kafka().bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "vigil-retrain-watcher");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    learnedAtStart = championLabelCount();
    consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> fromStart = new ArrayList<>();
    List<TopicPartition> fromEnd = new ArrayList<>();
    fromStart.addAll(partitions(w.kafka().labelsTopic()));
    fromStart.addAll(partitions(w.kafka().featuresTopic()));
    fromEnd.addAll(partitions(w.kafka().driftTopic()));
    List<TopicPartition> assigned = new ArrayList<>(fromStart);
    assigned.addAll(fromEnd);
    consumer.assign(assigned);
    consumer.seekToBeginning(fromStart);
    consumer.seekToEnd(fromEnd);
    for (TopicPartition tp : fromEnd) {
      consumer.position(tp); // resolve now: alarms published after start() are seen
    }
    pollThread = new Thread(this::pollLoop, "retrain-watcher-poll");
    pollThread.setDaemon(true);
    pollThread.start();
    runExecutor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "retrain-watcher-run");
      t.setDaemon(true);
      return t;
    });
    checker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "retrain-watcher-triggers");
      t.setDaemon(true);
      return t;
    });
    checker.scheduleWithFixedDelay(this::checkTriggers, w.triggers().checkIntervalMillis(),
        w.triggers().checkIntervalMillis(), TimeUnit.MILLISECONDS);
    LOG.info("retrain watcher started labels={} drift={} features={} minNewLabels={} minGapSeconds={}"
        + " scheduleMinutes={} policy={} margin={}", w.kafka().labelsTopic(), w.kafka().driftTopic(),
        w.kafka().featuresTopic(), w.triggers().minNewLabels(), w.triggers().minGapSeconds(),
        w.triggers().scheduleMinutes(), w.promotion().policy(), w.promotion().margin());
    return this;
  }

  /** The champion's {@code vigil.label_count} tag, 0 without a champion, tag or registry. */
  private long championLabelCount() {
    try {
      return registry.byAlias(config.registry().modelName(), w.promotion().championAlias())
          .map(v -> v.tags().get(RetrainRun.LABEL_COUNT_TAG))
          .map(Long::parseLong)
          .orElse(0L);
    } catch (RuntimeException e) {
      LOG.warn("could not read the champion's label count ({}); every label read counts as new", e.getMessage());
      return 0;
    }
  }

  private List<TopicPartition> partitions(String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " does not exist (is Kafka at "
          + w.kafka().bootstrapServers() + " set up? `vigil up` creates the topics)");
    }
    List<TopicPartition> out = new ArrayList<>();
    for (PartitionInfo i : infos) {
      out.add(new TopicPartition(topic, i.partition()));
    }
    return out;
  }

  private void pollLoop() {
    try {
      while (!stopping.get()) {
        var records = consumer.poll(Duration.ofMillis(200));
        synchronized (lock) {
          for (ConsumerRecord<String, byte[]> r : records) {
            apply(r);
          }
        }
        consumedUpTo.addAndGet(records.count());
      }
    } catch (WakeupException e) {
      if (!stopping.get()) {
        LOG.error("retrain watcher consumer woken up unexpectedly", e);
      }
    } catch (RuntimeException e) {
      LOG.error("retrain watcher consumer failed; no more labels will be read", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    try {
      if (r.topic().equals(w.kafka().labelsTopic())) {
        labelEvents++;
        newLabels = Math.max(0, newLabels + labels.apply(labelSerde.decode(r.value())));
      } else if (r.topic().equals(w.kafka().featuresTopic())) {
        features.put(featureSerde.decode(r.value()));
      } else if (r.topic().equals(w.kafka().driftTopic())) {
        DriftReport d = driftSerde.decode(r.value());
        if (d.getAlarm() && d.getModelName().equals(config.registry().modelName())) {
          driftAlarms++;
          pendingDrift = d.getAlarmReason() == null ? "drift alarm" : d.getAlarmReason();
        }
      }
    } catch (RecordDecodingException | IllegalArgumentException | NullPointerException e) {
      unreadable++;
      LOG.warn("unreadable record topic={} partition={} offset={}: {}", r.topic(), r.partition(), r.offset(),
          e.getMessage());
    }
  }

  /** Asks for a run at the next check, still subject to the minimum gap and to a run in progress. */
  public void triggerNow(String why) {
    synchronized (lock) {
      pendingManual = why == null ? "manual" : why;
    }
  }

  void checkTriggers() {
    triggerChecks.incrementAndGet();
    try {
      if (stopping.get() || runInProgress.get()) {
        return;
      }
      String trigger;
      Map<String, LabelBook.Label> labelSnapshot;
      List<FeatureStore.Row> featureSnapshot;
      Instant now = clock.instant();
      synchronized (lock) {
        // the trigger and the hysteresis: a trigger within the minimum gap stays pending
        trigger = Retraining.due(w.triggers(), newLabels - learnedAtStart, pendingDrift != null,
            pendingManual != null, lastRunStart, now);
        if (trigger == null) {
          return;
        }
        labelSnapshot = usableLabels();
        featureSnapshot = features.snapshot();
        newLabels = 0;
        learnedAtStart = 0;
        pendingDrift = null;
        pendingManual = null;
        lastRunStart = now;
        runInProgress.set(true);
      }
      int number = runs.incrementAndGet();
      String t = trigger;
      runExecutor.execute(() -> run(number, t, labelSnapshot, featureSnapshot));
    } catch (RuntimeException e) {
      LOG.error("retrain trigger check failed", e);
    }
  }

  /** Labels whose features are known (the others cannot be learned from). */
  private Map<String, LabelBook.Label> usableLabels() {
    Map<String, LabelBook.Label> all = labels.current();
    all.keySet().removeIf(id -> features.get(id) == null);
    return all;
  }

  private void run(int number, String trigger, Map<String, LabelBook.Label> labelSnapshot,
      List<FeatureStore.Row> featureSnapshot) {
    RetrainDecision d;
    try {
      d = runner.execute(number, trigger, labelSnapshot, featureSnapshot,
          Map.of("features_source", "topic " + w.kafka().featuresTopic(),
              "labels_source", "topic " + w.kafka().labelsTopic()), EpochListener.none());
      if (d.version() != null) {
        lastVersion.set(d.version());
      }
    } catch (RuntimeException e) {
      LOG.error("retrain run={} trigger={} failed", number, trigger, e);
      d = new RetrainDecision(number, trigger, RetrainDecision.Outcome.FAILED, null, null, null,
          labelSnapshot.size(), Map.of(), "failed: " + e.getMessage(), clock.instant());
    }
    lastDecision.set(d);
    try {
      listener.onDecision(d);
    } catch (RuntimeException e) {
      LOG.warn("retrain listener failed", e);
    } finally {
      runInProgress.set(false);
    }
  }

  /** Counters and the last decision. */
  public Status status() {
    synchronized (lock) {
      RetrainDecision last = lastDecision.get();
      return new Status(runInProgress.get(), runs.get(), usableLabels().size(),
          Math.max(0, newLabels - learnedAtStart), labelEvents,
          labels.duplicates(), labels.retractions(), features.size(), features.evicted(), driftAlarms,
          unreadable + features.unusable(), last, lastVersion.get());
    }
  }

  /** How often the triggers were checked (for tests: "a check ran and started nothing"). */
  public long triggerChecks() {
    return triggerChecks.get();
  }

  /** Records consumed so far (for tests and progress). */
  public long recordsConsumed() {
    return consumedUpTo.get();
  }

  /** Stops reading and checking; waits up to {@code grace} for a run in progress to finish. */
  public void close(Duration grace) {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    if (checker != null) {
      checker.shutdownNow();
    }
    if (consumer != null) {
      consumer.wakeup();
    }
    try {
      if (pollThread != null) {
        pollThread.join(10_000);
      }
      if (runExecutor != null) {
        runExecutor.shutdown();
        if (!runExecutor.awaitTermination(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS)) {
          LOG.warn("a retrain run is still going after {}; abandoning it", grace);
          runExecutor.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.info("retrain watcher stopped after {} runs", runs.get());
  }

  @Override
  public void close() {
    close(Duration.ofMinutes(2));
  }
}
