package io.vigil.pipeline.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.features.FeatureSet;
import io.vigil.model.DjlRuntime;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelSpec;
import io.vigil.pipeline.FeatureJobConfig;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.IncidentAction;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelValue;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.SampleIds;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.serving.DirectoryModelSource;
import io.vigil.serving.PredictionEntry;
import io.vigil.serving.PredictionSink;
import io.vigil.serving.ServingConfig;
import io.vigil.serving.ServingServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scoring job on a Flink MiniCluster, against a real Kafka broker and a real serving process
 * (Netty on a loopback port, DJL PyTorch) serving a small autoencoder the test builds.
 */
class ScoringJobIT {

  static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder()
          .setConfiguration(METRICS.addToConfiguration(new Configuration()))
          .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static final String MODEL = "scoring-model";
  static final double THRESHOLD = 1.0;
  static final FeatureSet SET = FeatureSet.standard("scoring-test", List.of("cpu", "mem"));
  static final int COLS = SET.featureNames().size();

  @TempDir static Path dir;
  static Path modelDir;

  /** A hand-written sink that only counts what serving would have logged itself. */
  static final class CountingSink implements PredictionSink {
    final AtomicInteger offered = new AtomicInteger();

    @Override
    public boolean offer(PredictionEntry entry) {
      offered.incrementAndGet();
      return true;
    }

    @Override
    public void close() {}
  }

  @BeforeAll
  static void buildModel() {
    DjlRuntime.applyCpuDefaults();
    modelDir = dir.resolve("model");
    ModelSpec spec = ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.AUTOENCODER, List.of(8, 3, 8)),
        new ModelSpec.Inputs(SET.featureNames(), SET.id(), SET.version()),
        ModelSpec.ScoreScale.identity(THRESHOLD), 7);
    try (ModelArtifact m = ModelArtifacts.create(spec)) {
      ModelArtifacts.save(m, modelDir);
    }
  }

  @AfterAll
  static void reportNothing() {
    METRICS.close();
  }

  static ServingServer serve(int port, String work, PredictionSink sink) {
    return serve(port, work, sink, null);
  }

  /** With {@code token}, every call needs {@code authorization: Bearer <token>}. */
  static ServingServer serve(int port, String work, PredictionSink sink, String token) {
    ServingConfig cfg = ServingConfig.defaults()
        .withSecurity(new ServingConfig.Security(null, null, token))
        .withGrpc(new ServingConfig.Grpc("127.0.0.1", port, 4, 10_000, 4 * 1024 * 1024, 1,
            ServingConfig.defaults().grpc().flowControlWindowBytes()))
        .withMetrics(new ServingConfig.Metrics(false, "127.0.0.1", 0))
        .withModel(new ServingConfig.ModelSelection(MODEL, "champion", null, null, 3600,
            dir.resolve(work).toString(), 1, 5))
        .withBatching(new ServingConfig.Batching(true, 64, 2_000, 1024, 1))
        .withKafka(new ServingConfig.Kafka(false, "127.0.0.1:1", "vigil.predictions", "vigil.model-events", 16));
    return ServingServer.start(cfg, new ServingServer.Parts(new DirectoryModelSource(MODEL, "1", modelDir),
        sink, null, null, null));
  }

  static ScoringJobConfig config(String prefix, int servingPort, ScoringJobConfig.Ordering ordering) {
    ScoringJobConfig d = ScoringJobConfig.defaults();
    return new ScoringJobConfig(prefix, KAFKA.bootstrapServers(), prefix + ".features",
        prefix + ".predictions", prefix + ".dlq", prefix + ".labels", prefix + "-group", prefix + "-tx", Duration.ofMinutes(5),
        null, new ScoringJobConfig.Serving("127.0.0.1:" + servingPort, false, null, null, MODEL, "champion"),
        new ScoringJobConfig.Async(8, Duration.ofSeconds(2), ordering),
        new ScoringJobConfig.Retry(Duration.ofMillis(50), Duration.ofMillis(400), 3),
        new ScoringJobConfig.CircuitBreakerSettings(3, Duration.ofMillis(500)),
        Duration.ofMillis(300), dir.resolve(prefix + "-cp").toUri().toString(),
        new FeatureJobConfig.S3("", "", "", true), 1);
  }

  static void createTopics(ScoringJobConfig c) throws Exception {
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic(c.featuresTopic(), 2, (short) 1),
          new NewTopic(c.predictionsTopic(), 2, (short) 1), new NewTopic(c.dlqTopic(), 1, (short) 1)))
          .all().get(30, TimeUnit.SECONDS);
      // produce only once every partition has a leader (a producer racing the election may give up)
      List<String> names = List.of(c.featuresTopic(), c.predictionsTopic(), c.dlqTopic());
      await(Duration.ofSeconds(30), "leaders of " + names, () -> {
        try {
          return admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
              .allMatch(d -> d.partitions().stream().allMatch(pi -> pi.leader() != null && !pi.leader().isEmpty()));
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** A vector of {@code cols} values, all {@code value}; its window ends at {@code t} seconds. */
  static FeatureVector vector(String entity, long t, double value, int cols) {
    Instant end = Instant.ofEpochSecond(1_700_000_000L + t);
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < cols; i++) {
      values.add(value + i * 0.001);
    }
    return FeatureVector.newBuilder().setSampleId(SampleIds.of(entity, end, SET.version()))
        .setEntity(entity).setWindowStart(end.minusSeconds(60)).setWindowEnd(end)
        .setFeatureSetId(SET.id()).setFeatureSetVersion(SET.version()).setValues(values).setSequence(t).build();
  }

  static final AvroSerde<FeatureVector> VECTORS = AvroSerde.of(FeatureVector.class);
  static final AvroSerde<Prediction> PREDICTIONS = AvroSerde.of(Prediction.class);
  static final AvroSerde<DeadLetter> LETTERS = AvroSerde.of(DeadLetter.class);
  static String traceOf(long t) {
    return String.format("00-%032x-%016x-01", 100 + t, 100 + t);
  }

  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  /** Sends and waits for the broker's acknowledgement, so that every vector counted as sent is in the topic. */
  static void send(KafkaProducer<byte[], byte[]> p, String topic, FeatureVector v) {
    send(p, topic, v, null);
  }

  /** The same with a W3C {@code traceparent} header (null: none). */
  static void send(KafkaProducer<byte[], byte[]> p, String topic, FeatureVector v, String traceparent) {
    try {
      ProducerRecord<byte[], byte[]> r =
          new ProducerRecord<>(topic, v.getEntity().getBytes(StandardCharsets.UTF_8), VECTORS.encode(v));
      if (traceparent != null) {
        r.headers().add("traceparent", traceparent.getBytes(StandardCharsets.US_ASCII));
      }
      p.send(r).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("vector " + v.getSampleId() + " not written to " + topic, e);
    }
  }

  /** Everything committed on {@code topic} now (read_committed, up to the last stable offset). */
  static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
    Map<String, Object> cc = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (var c = new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo pi : c.partitionsFor(topic)) {
        parts.add(new TopicPartition(topic, pi.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }

  static List<Prediction> predictions(String topic) {
    return readCommitted(topic).stream().map(r -> PREDICTIONS.decode(r.value())).toList();
  }

  static List<DeadLetter> deadLetters(String topic) {
    return readCommitted(topic).stream().map(r -> LETTERS.decode(r.value())).toList();
  }

  static void await(Duration max, String what, BooleanSupplier condition) {
    long until = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out after " + max + " waiting for " + what);
      }
      LockSupport.parkNanos(100_000_000);
    }
  }

  /** Sum over subtasks of the counter {@code scoring.<name>} of a job. */
  static long counter(JobID job, String name) {
    long sum = 0;
    for (Map.Entry<String, Metric> e : METRICS.findMetrics(job, ".*scoring\\." + name).entrySet()) {
      if (e.getValue() instanceof Counter c) {
        sum += c.getCount();
      }
    }
    return sum;
  }

  /** Checkpoints the job has completed so far. */
  static long checkpoints(JobID job) {
    return METRICS.findMetrics(job, ".*numberOfCompletedCheckpoints").values().stream()
        .filter(m -> m instanceof org.apache.flink.metrics.Gauge<?>)
        .mapToLong(m -> ((Number) ((org.apache.flink.metrics.Gauge<?>) m).getValue()).longValue())
        .max().orElse(0);
  }

  static byte[] bytes(java.nio.ByteBuffer b) {
    java.nio.ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  @Test
  void everyVectorGetsExactlyOnePredictionAndWhatCannotBeScoredGoesToTheDlqWithItsReason()
      throws Exception {
    CountingSink servingLog = new CountingSink();
    try (ServingServer serving = serve(0, "work-eos", servingLog)) {
      ScoringJobConfig cfg = config("eos", serving.port(), ScoringJobConfig.Ordering.ORDERED);
      createTopics(cfg);
      Map<String, Boolean> expectedAnomaly = new HashMap<>();
      try (KafkaProducer<byte[], byte[]> p = producer()) {
        for (int t = 0; t < 40; t++) {
          boolean anomalous = t % 2 == 1;
          FeatureVector v = vector("host-" + (t % 3), t, anomalous ? 100.0 : 0.001, COLS);
          expectedAnomaly.put(v.getSampleId(), anomalous);
          // every fourth vector comes with a trace context, which its prediction must carry on
          send(p, cfg.featuresTopic(), v, t % 4 == 0 ? traceOf(t) : null);
          if (t == 20) {
            // midway: an unreadable record and a vector of the wrong width; the job goes on past them
            // both with a trace context, which their dead letters must keep
            List<Header> trace = List.of(new RecordHeader("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8)));
            p.send(new ProducerRecord<>(cfg.featuresTopic(), null, "host-0".getBytes(StandardCharsets.UTF_8),
                "not avro at all".getBytes(StandardCharsets.UTF_8), trace)).get(30, TimeUnit.SECONDS);
            p.send(new ProducerRecord<>(cfg.featuresTopic(), null, "host-0".getBytes(StandardCharsets.UTF_8),
                VECTORS.encode(vector("host-0", 1_000, 0.5, 3)), trace)).get(30, TimeUnit.SECONDS);
          }
        }
        p.flush();
      }

      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      ScoringJob.configure(env, cfg);
      ScoringJob.build(env, cfg, SET, ScoringJob.kafkaSource(cfg, true), ScoringJob.predictionSink(cfg),
          ScoringJob.dlqSink(cfg));
      JobID id = env.execute("scoring-eos").getJobID();

      List<ConsumerRecord<byte[], byte[]>> records = readCommitted(cfg.predictionsTopic());
      assertThat(records).hasSize(40);
      Set<String> seen = new HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        Prediction p = PREDICTIONS.decode(r.value());
        assertThat(seen.add(p.getSampleId())).as("one prediction for %s", p.getSampleId()).isTrue();
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(p.getEntity());
        assertThat(p.getModelName()).isEqualTo(MODEL);
        assertThat(p.getModelVersion()).isEqualTo("1");
        assertThat(p.getModelAlias()).isEqualTo("champion");
        assertThat(p.getThreshold()).isEqualTo(THRESHOLD);
        assertThat(p.getAnomaly()).isEqualTo(p.getScore() >= p.getThreshold());
        assertThat(p.getAnomaly()).as("anomaly flag of %s", p.getSampleId())
            .isEqualTo(expectedAnomaly.get(p.getSampleId()));
        assertThat(p.getUncertainty()).isBetween(0.0, 1.0);
        assertThat(p.getProbability()).isNull();
        assertThat(p.getFeatureSetVersion()).isEqualTo(SET.version());
        assertThat(p.getAttributions()).isNotEmpty();
        assertThat(p.getAttributions().keySet()).isSubsetOf("cpu", "mem");
        assertThat(p.getShadow()).isFalse();
        assertThat(p.getLatencyMicros()).isPositive();
        var parent = r.headers().lastHeader("traceparent");
        long t = p.getWindowEnd().getEpochSecond() - 1_700_000_000L;
        if (t % 4 == 0) {
          assertThat(new String(parent.value(), StandardCharsets.US_ASCII)).isEqualTo(traceOf(t));
        } else {
          assertThat(parent).as("prediction %s has no trace context", p.getSampleId()).isNull();
        }
      }
      assertThat(seen).isEqualTo(expectedAnomaly.keySet());
      // ORDERED: each entity's predictions leave in the order its vectors came (window end rising)
      Map<String, List<Long>> windowEnds = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        Prediction p = PREDICTIONS.decode(r.value());
        windowEnds.computeIfAbsent(p.getEntity(), k -> new ArrayList<>()).add(p.getWindowEnd().toEpochMilli());
      }
      assertThat(windowEnds).hasSize(3).allSatisfy((entity, ends) -> assertThat(ends).isSorted());
      // the stage writes predictions itself: serving was asked not to log them again
      assertThat(servingLog.offered.get()).isZero();

      List<DeadLetter> dead = deadLetters(cfg.dlqTopic());
      assertThat(dead).extracting(DeadLetter::getErrorCode)
          .containsExactlyInAnyOrder("BAD_HEADER", "INVALID_ARGUMENT");
      DeadLetter unreadable = dead.stream().filter(d -> d.getErrorCode().equals("BAD_HEADER")).findFirst().orElseThrow();
      assertThat(unreadable.getStage()).isEqualTo(ScoringJob.STAGE_DECODE);
      assertThat(unreadable.getSourceTopic()).isEqualTo(cfg.featuresTopic());
      DeadLetter refused = dead.stream().filter(d -> d.getErrorCode().equals("INVALID_ARGUMENT")).findFirst().orElseThrow();
      assertThat(refused.getStage()).isEqualTo(ScoringFunction.STAGE);
      assertThat(refused.getReason()).contains("3 features per row").contains("" + COLS);
      // the dead letter carries the vector as it was read, headers too, so it can be replayed
      assertThat(VECTORS.decode(bytes(refused.getValue())).getValues()).hasSize(3);
      for (DeadLetter d : List.of(unreadable, refused)) {
        assertThat(d.getHeaders()).containsOnlyKeys("traceparent");
        assertThat(new String(bytes(d.getHeaders().get("traceparent")), StandardCharsets.UTF_8)).isEqualTo(TRACEPARENT);
      }
      assertThat(counter(id, "predictions")).isEqualTo(40);
      assertThat(counter(id, "anomalies")).isEqualTo(20);
      assertThat(counter(id, "unreadable")).isEqualTo(1);
      assertThat(counter(id, "refused")).isEqualTo(1);
      assertThat(counter(id, "deadLetters")).isEqualTo(2);
      assertThat(counter(id, "circuitOpened")).isZero();
    }
  }

  static final AtomicInteger FAILURES = new AtomicInteger();

  /** Fails the job once after 15 predictions (the async operator has calls in flight then, up to its capacity). */
  static final class FailOnce extends RichMapFunction<ScoredPrediction, ScoredPrediction> {
    private static final long serialVersionUID = 1L;
    private transient int attempt;
    private transient int seen;

    @Override
    public void open(OpenContext ctx) {
      attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
    }

    @Override
    public ScoredPrediction map(ScoredPrediction p) {
      if (attempt == 0 && ++seen == 15) {
        FAILURES.incrementAndGet();
        throw new IllegalStateException("injected failure after 15 predictions");
      }
      return p;
    }
  }

  @Test
  void aFailoverMidStreamStillGivesEveryVectorExactlyOnePrediction() throws Exception {
    try (ServingServer serving = serve(0, "work-failover", PredictionSink.NONE)) {
      ScoringJobConfig cfg = config("failover", serving.port(), ScoringJobConfig.Ordering.ORDERED);
      createTopics(cfg);
      Set<String> sent = new HashSet<>();
      try (KafkaProducer<byte[], byte[]> p = producer()) {
        for (int t = 0; t < 60; t++) {
          FeatureVector v = vector("host-" + (t % 5), t, 0.01, COLS);
          sent.add(v.getSampleId());
          send(p, cfg.featuresTopic(), v);
        }
        p.flush();
      }
      Configuration conf = new Configuration();
      conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
      conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
      conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
      ScoringJob.configure(env, cfg);
      ScoringJob.build(env, cfg, SET, ScoringJob.kafkaSource(cfg, true), null, ScoringJob.predictionSink(cfg),
          ScoringJob.dlqSink(cfg), s -> s.map(new FailOnce()).name("failure injector"));
      env.execute("scoring-failover");

      assertThat(FAILURES.get()).isEqualTo(1);
      Map<String, Integer> counts = new HashMap<>();
      predictions(cfg.predictionsTopic()).forEach(pr -> counts.merge(pr.getSampleId(), 1, Integer::sum));
      assertThat(counts.keySet()).isEqualTo(sent);
      assertThat(counts.values()).allMatch(c -> c == 1);
    }
  }

  @Test
  void whenServingGoesDownMidStreamTheCircuitOpensAndEveryVectorIsScoredOnceItIsBack() throws Exception {
    String token = "outage-test-token";
    ServingServer first = serve(0, "work-outage-1", PredictionSink.NONE, token);
    int port = first.port();
    ScoringJobConfig base = config("outage", port, ScoringJobConfig.Ordering.UNORDERED);
    ScoringJobConfig.Serving s = base.serving();
    ScoringJobConfig cfg = base.withServing(new ScoringJobConfig.Serving(s.target(), false, null, token,
        s.modelName(), s.alias()));
    createTopics(cfg);
    Set<String> sent = new HashSet<>();
    JobClient job = null;
    ServingServer second = null;
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      ScoringJob.configure(env, cfg);
      ScoringJob.build(env, cfg, SET, ScoringJob.kafkaSource(cfg, false), ScoringJob.predictionSink(cfg),
          ScoringJob.dlqSink(cfg));
      job = env.executeAsync("scoring-outage");
      JobID id = job.getJobID();

      // 1. serving up: the first vectors flow
      for (int t = 0; t < 20; t++) {
        FeatureVector v = vector("host-" + (t % 4), t, t % 5 == 0 ? 100.0 : 0.01, COLS);
        sent.add(v.getSampleId());
        send(p, cfg.featuresTopic(), v);
      }
      p.flush();
      await(Duration.ofSeconds(60), "the first 20 predictions",
          () -> predictions(cfg.predictionsTopic()).size() >= 20);

      // 2. serving down, vectors keep coming: calls fail, the circuit opens, nothing is scored
      first.close();
      for (int t = 20; t < 50; t++) {
        FeatureVector v = vector("host-" + (t % 4), t, 0.01, COLS);
        sent.add(v.getSampleId());
        send(p, cfg.featuresTopic(), v);
      }
      p.flush();
      await(Duration.ofSeconds(60), "the circuit to open", () -> counter(id, "circuitOpened") >= 1);
      assertThat(counter(id, "retries")).isPositive();
      assertThat(predictions(cfg.predictionsTopic())).hasSize(20);

      // 3. serving back on the same port; more vectors
      second = serve(port, "work-outage-2", PredictionSink.NONE, token);
      for (int t = 50; t < 60; t++) {
        FeatureVector v = vector("host-" + (t % 4), t, 0.01, COLS);
        sent.add(v.getSampleId());
        send(p, cfg.featuresTopic(), v);
      }
      p.flush();
      await(Duration.ofSeconds(60), "all 60 predictions",
          () -> predictions(cfg.predictionsTopic()).size() >= 60);
      // a few more checkpoints complete: still exactly one per vector
      long done = checkpoints(id);
      await(Duration.ofSeconds(30), "three more checkpoints", () -> checkpoints(id) >= done + 3);

      List<Prediction> all = predictions(cfg.predictionsTopic());
      Map<String, Integer> counts = new HashMap<>();
      all.forEach(pr -> counts.merge(pr.getSampleId(), 1, Integer::sum));
      assertThat(counts.keySet()).isEqualTo(sent);
      assertThat(counts.values()).allMatch(c -> c == 1);
      assertThat(all).allMatch(pr -> pr.getModelVersion().equals("1") && pr.getThreshold() == THRESHOLD);
      assertThat(deadLetters(cfg.dlqTopic())).isEmpty();
      assertThat(counter(id, "deadLetters")).isZero();
      assertThat(counter(id, "predictions")).isGreaterThanOrEqualTo(60);
    } finally {
      if (job != null) {
        job.cancel().get(30, TimeUnit.SECONDS);
      }
      first.close();
      if (second != null) {
        second.close();
      }
    }
  }
  /** Sends one label event (key = sample id, as the labeling UI writes them) and waits for the broker. */
  static void sendLabel(KafkaProducer<byte[], byte[]> p, String topic, String entity, LabelValue value,
      IncidentAction action, String incidentId) throws Exception {
    String sample = "s-label-" + entity + "-" + action;
    LabelEvent l = LabelEvent.newBuilder().setEventId("e-" + entity + "-" + action).setSampleId(sample)
        .setEntity(entity).setAnnotator("ada").setLabel(value).setLabeledAt(Instant.now())
        .setIdempotencyKey("k-" + entity + "-" + action).setIncidentId(incidentId).setIncidentAction(action).build();
    p.send(new ProducerRecord<>(topic, sample.getBytes(StandardCharsets.UTF_8),
        AvroSerde.of(LabelEvent.class).encode(l))).get(30, TimeUnit.SECONDS);
  }

  /**
   * Sends the next vector of {@code host-1} and {@code host-2} (both scored normal) until {@code
   * done} holds for the predictions written so far; returns them.
   */
  static List<Prediction> streamUntil(KafkaProducer<byte[], byte[]> p, ScoringJobConfig cfg, int[] t,
      String what, java.util.function.Predicate<List<Prediction>> done) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      for (String entity : List.of("host-1", "host-2")) {
        send(p, cfg.featuresTopic(), vector(entity, t[0], 0.01, COLS));
      }
      t[0]++;
      List<Prediction> now = predictions(cfg.predictionsTopic());
      if (done.test(now)) {
        return now;
      }
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what + "; " + now.size() + " predictions");
      }
      LockSupport.parkNanos(200_000_000);
    }
  }

  @Test
  void whileAnIncidentIsOpenItsEntitysWindowsAreFlaggedAndNameIt() throws Exception {
    try (ServingServer serving = serve(0, "work-incident", PredictionSink.NONE)) {
      ScoringJobConfig cfg = config("incident", serving.port(), ScoringJobConfig.Ordering.ORDERED);
      createTopics(cfg);
      try (Admin admin = KAFKA.kafka().admin()) {
        admin.createTopics(List.of(new NewTopic(cfg.labelsTopic(), 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      JobClient job = null;
      try (KafkaProducer<byte[], byte[]> p = producer()) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ScoringJob.configure(env, cfg);
        ScoringJob.build(env, cfg, SET, ScoringJob.kafkaSource(cfg, false), ScoringJob.labelsSource(cfg, false),
            ScoringJob.predictionSink(cfg), ScoringJob.dlqSink(cfg));
        job = env.executeAsync("scoring-incident");
        JobID id = job.getJobID();
        int[] t = {0};

        // before any label: the model's flags (all normal here)
        streamUntil(p, cfg, t, "the first predictions", all -> all.size() >= 4);
        // an annotator confirms an anomaly on host-1; an unreadable record on the labels topic goes to the DLQ
        sendLabel(p, cfg.labelsTopic(), "host-1", LabelValue.ANOMALY, IncidentAction.OPENED, "inc-it");
        p.send(new ProducerRecord<>(cfg.labelsTopic(), "junk".getBytes(StandardCharsets.UTF_8),
            "not avro".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        streamUntil(p, cfg, t, "a flagged window of host-1",
            all -> all.stream().filter(pr -> "inc-it".equals(pr.getIncidentId())).count() >= 3);
        // "it's over": host-1's windows are the model's again
        sendLabel(p, cfg.labelsTopic(), "host-1", LabelValue.NORMAL, IncidentAction.CLOSED, "inc-it");
        List<Prediction> all = streamUntil(p, cfg, t, "host-1 unflagged after the incident", now -> {
          List<Prediction> h1 = ofEntity(now, "host-1");
          return h1.size() > 2 && h1.get(h1.size() - 1).getIncidentId() == null
              && h1.get(h1.size() - 2).getIncidentId() == null
              && h1.stream().anyMatch(pr -> pr.getIncidentId() != null);
        });

        // host-1: unflagged, then one unbroken run of flagged windows naming the incident, then unflagged
        List<Prediction> h1 = ofEntity(all, "host-1");
        StringBuilder pattern = new StringBuilder();
        for (Prediction pr : h1) {
          assertThat(pr.getAnomaly()).isEqualTo(pr.getIncidentId() != null);
          if (pr.getIncidentId() != null) {
            assertThat(pr.getIncidentId()).isEqualTo("inc-it");
            assertThat(pr.getScore()).as("the model's score is kept").isLessThan(pr.getThreshold());
          }
          pattern.append(pr.getIncidentId() == null ? '.' : 'X');
        }
        assertThat(pattern.toString()).matches("\\.+X{3,}\\.+");
        assertThat(ofEntity(all, "host-2")).isNotEmpty()
            .allMatch(pr -> !pr.getAnomaly() && pr.getIncidentId() == null);
        Map<String, Integer> counts = new HashMap<>();
        all.forEach(pr -> counts.merge(pr.getSampleId(), 1, Integer::sum));
        assertThat(counts.values()).allMatch(c -> c == 1);

        await(Duration.ofSeconds(30), "the unreadable label in the DLQ", () -> !deadLetters(cfg.dlqTopic()).isEmpty());
        DeadLetter d = deadLetters(cfg.dlqTopic()).get(0);
        assertThat(d.getStage()).isEqualTo(LabelSignalDecoder.STAGE);
        assertThat(d.getErrorCode()).isEqualTo("BAD_HEADER");
        assertThat(d.getSourceTopic()).isEqualTo(cfg.labelsTopic());
        assertThat(counter(id, "incidentsOpened")).isEqualTo(1);
        assertThat(counter(id, "incidentsClosed")).isEqualTo(1);
        assertThat(counter(id, "incidentFlagged")).isGreaterThanOrEqualTo(3);
      } finally {
        if (job != null) {
          job.cancel().get(30, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** {@code entity}'s predictions in window order. */
  static List<Prediction> ofEntity(List<Prediction> all, String entity) {
    return all.stream().filter(pr -> pr.getEntity().equals(entity))
        .sorted(java.util.Comparator.comparing(Prediction::getWindowEnd)).toList();
  }
}
