package io.vigil.drift.requests;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Row;
import io.vigil.datasets.Split;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.features.FeatureSet;
import io.vigil.features.OfflineFeatures;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.IncidentAction;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelReason;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.LabelValue;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.selection.Strategy;
import io.vigil.selection.UncertaintyMeasure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The label-request job on a Flink MiniCluster against a real Kafka broker, fed with SMD
 * machine-1-2's test rows as telemetry, their feature vectors from the offline path, and
 * predictions of a simple deterministic scorer (the largest EWMA |z| of the window against a
 * threshold of 3, attributions = each metric's |z|).
 */
class LabelRequestJobIT {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder()
          .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final FeatureSet SET = FeatureSet.smdDefault();
  private static final String MACHINE = "machine-1-2";
  private static final double THRESHOLD = 3.0;
  /** machine-1-2's first labelled anomaly segment in the test split: rows 4629..4687. */
  private static final int SEGMENT_START = 4629;
  private static final int SEGMENT_END = 4688;

  /** One time step of one entity: telemetry, features and prediction, encoded. */
  record Step(String entity, int row, long time, String sampleId, byte[] telemetry, byte[] features,
      byte[] prediction, double uncertainty) {}

  private static Path data(String name) {
    return Path.of(System.getProperty("vigil.data.dir", "../../shared/data")).resolve(name);
  }

  /**
   * Rows [from, to) of machine-1-2's test split, under {@code entity} (a second entity replays the
   * same machine from another row, so two entities compete for the global budget).
   */
  private static List<Step> steps(String entity, int from, int to, int rowShift) {
    Dataset ds = Dataset.open(data("smd"),
        DatasetOptions.defaults().withSplit(Split.TEST).withEntities(Set.of(MACHINE)));
    EntitySeries series = ds.entities().get(0);
    List<String> names = SET.featureNames();
    int zMax = names.indexOf("summary.max_abs_z");
    AvroSerde<TelemetrySample> ts = AvroSerde.of(TelemetrySample.class);
    AvroSerde<FeatureVector> fs = AvroSerde.of(FeatureVector.class);
    AvroSerde<Prediction> ps = AvroSerde.of(Prediction.class);
    Iterator<FeatureVector> vectors = new OfflineFeatures(SET, false).vectors(series);
    Iterator<Row> rows = series.rows();
    List<Step> out = new ArrayList<>();
    long t0 = DatasetOptions.DEFAULT_START.toEpochMilli();
    for (int i = 0; i < to + rowShift && rows.hasNext(); i++) {
      Row r = rows.next();
      FeatureVector v = vectors.next();
      if (i < from + rowShift) {
        continue;
      }
      // the steps of a shifted entity keep the event times of rows [from, to)
      long time = t0 + (long) (i - rowShift) * 60_000L;
      long start = time - (v.getWindowEnd().toEpochMilli() - v.getWindowStart().toEpochMilli());
      Map<String, Double> metrics = new HashMap<>();
      for (int m = 0; m < series.metricNames().size(); m++) {
        metrics.put(series.metricNames().get(m), r.values()[m]);
      }
      TelemetrySample sample = TelemetrySample.newBuilder().setEntity(entity)
          .setEventTime(Instant.ofEpochMilli(time)).setMetrics(metrics).setSequence(i).build();
      String sampleId = io.vigil.schemas.SampleIds.of(entity, Instant.ofEpochMilli(time), v.getFeatureSetVersion());
      FeatureVector f = FeatureVector.newBuilder(v).setEntity(entity).setSampleId(sampleId)
          .setWindowStart(Instant.ofEpochMilli(start)).setWindowEnd(Instant.ofEpochMilli(time)).build();
      Map<String, Double> attributions = new HashMap<>();
      double sum = 0;
      for (String m : SET.metrics()) {
        sum += Math.abs(v.getValues().get(names.indexOf(m + ".ewma_z")));
      }
      for (String m : SET.metrics()) {
        double z = Math.abs(v.getValues().get(names.indexOf(m + ".ewma_z")));
        attributions.put(m, sum > 0 ? z / sum : 0);
      }
      double score = v.getValues().get(zMax);
      Prediction p = Prediction.newBuilder().setSampleId(sampleId).setEntity(entity)
          .setWindowStart(f.getWindowStart()).setWindowEnd(f.getWindowEnd()).setModelName("vigil-anomaly")
          .setModelVersion("1").setScore(score).setThreshold(THRESHOLD).setAnomaly(score > THRESHOLD)
          .setUncertainty(UncertaintyMeasure.ofScore(score, THRESHOLD)).setAttributions(attributions)
          .setPredictedAt(f.getWindowEnd()).setFeatureSetVersion(v.getFeatureSetVersion()).build();
      out.add(new Step(entity, i - rowShift, time, sampleId, ts.encode(sample), fs.encode(f), ps.encode(p),
          UncertaintyMeasure.ofScore(score, THRESHOLD)));
    }
    return out;
  }

  private static LabelRequestConfig config(String prefix, Path checkpoints, LabelRequestConfig.QueryLevel level,
      double minUncertainty, long cooldown, long firstFollowUp, double auditShare, double perHour, double burst,
      int globalPerHour, Duration releaseEvery, Duration idleness) {
    return new LabelRequestConfig(prefix, KAFKA.bootstrapServers(),
        new LabelRequestConfig.Topics(prefix + ".telemetry", prefix + ".features", prefix + ".predictions",
            prefix + ".labels", prefix + ".drift", prefix + ".requests", prefix + ".dlq"),
        prefix + "-group", prefix + "-tx", Duration.ofMinutes(5), Duration.ofMillis(300),
        // the predictions' idleness outlasts the pauses between the incident test's phases (see
        // LabelRequestJob): with 3 s, the test stalled about once in six runs on a loaded machine
        checkpoints.toUri().toString(), Duration.ofMinutes(2), idleness, Duration.ofSeconds(60),
        Strategy.UNCERTAINTY, LabelRequestConfig.Measure.LEVEL, level, minUncertainty, cooldown, firstFollowUp,
        1.0, 0.01, auditShare, new LabelRequestConfig.EntityBudget(perHour, burst),
        new LabelRequestConfig.GlobalBudget(globalPerHour, releaseEvery, Duration.ofMinutes(30)), 30, 60, 3, 1.0, 0.3, 11, 2);
  }

  /** One partition per topic: every partition has data, so no source waits for idleness. */
  private static void createTopics(LabelRequestConfig c) throws Exception {
    var t = c.topics();
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic(t.telemetry(), 1, (short) 1), new NewTopic(t.features(), 1, (short) 1),
          new NewTopic(t.predictions(), 1, (short) 1), new NewTopic(t.labels(), 1, (short) 1),
          new NewTopic(t.drift(), 1, (short) 1), new NewTopic(t.labelRequests(), 2, (short) 1),
          new NewTopic(t.dlq(), 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 10), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void produce(LabelRequestConfig c, List<Step> steps) {
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      for (Step s : steps) {
        byte[] key = s.entity().getBytes(StandardCharsets.UTF_8);
        p.send(new ProducerRecord<>(c.topics().telemetry(), key, s.telemetry()));
        p.send(new ProducerRecord<>(c.topics().features(), key, s.features()));
        ProducerRecord<byte[], byte[]> prediction = new ProducerRecord<>(c.topics().predictions(), key, s.prediction());
        if (s.row() % 7 == 0) {
          // some predictions come with a W3C trace context, which their requests must carry on
          prediction.headers().add("traceparent", traceOf(s.row()).getBytes(StandardCharsets.US_ASCII));
        }
        p.send(prediction);
      }
      p.flush();
    }
  }

  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  static String traceOf(long row) {
    return String.format("00-%032x-%016x-01", 1 + row, 1 + row);
  }

  /** Each request's {@code traceparent} header by request id ("" when it has none). */
  private static Map<String, String> requestTraces(String topic) {
    Map<String, Object> cc = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "traces-" + topic + "-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    AvroSerde<LabelRequest> serde = AvroSerde.of(LabelRequest.class);
    Map<String, String> out = new HashMap<>();
    try (var c = new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      while (System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> {
          var h = r.headers().lastHeader("traceparent");
          out.put(serde.decode(r.value()).getRequestId(), h == null ? "" : new String(h.value(), StandardCharsets.US_ASCII));
        });
      }
    }
    return out;
  }

  private static void send(String topic, byte[] key, byte[] value) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      p.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }
  }

  private static LabelEvent label(Step s, LabelValue value, String incident, IncidentAction action) {
    return LabelEvent.newBuilder().setEventId("e-" + s.sampleId() + "-" + value).setSampleId(s.sampleId())
        .setEntity(s.entity()).setAnnotator("ann").setLabel(value)
        .setLabeledAt(Instant.ofEpochMilli(s.time() + 60_000)).setIdempotencyKey("k-" + s.sampleId() + value)
        .setIncidentId(incident).setIncidentAction(action).build();
  }

  /** Read_committed, until {@code done} holds for what was read or nothing new comes for a while. */
  private static <T extends org.apache.avro.specific.SpecificRecordBase> List<T> read(String topic, Class<T> type,
      Predicate<List<T>> done, Duration limit) {
    AvroSerde<T> serde = AvroSerde.of(type);
    Map<String, Object> cc = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "check-" + topic + "-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<T> out = new ArrayList<>();
    try (var c = new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + limit.toNanos();
      while (System.nanoTime() < deadline && !done.test(out)) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(serde.decode(r.value())));
      }
    }
    return out;
  }

  /** Waits until the job's consumer group has committed (i.e. checkpointed) {@code n} records of the labels topic. */
  private static void awaitLabelsCheckpointed(LabelRequestConfig c, long n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (Admin admin = KAFKA.kafka().admin()) {
      while (System.nanoTime() < deadline) {
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin.listConsumerGroupOffsets(c.groupId()).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        OffsetAndMetadata o = offsets.get(new TopicPartition(c.topics().labels(), 0));
        if (o != null && o.offset() >= n) {
          return;
        }
        TimeUnit.MILLISECONDS.sleep(100);
      }
    }
    throw new AssertionError("the job did not checkpoint " + n + " labels within 60 s");
  }

  static final AtomicInteger FAILURES = new AtomicInteger();

  /** Fails the job once, after a few requests have gone through. */
  static final class FailOnce extends RichMapFunction<Candidate, Candidate> {
    private static final long serialVersionUID = 1L;
    private transient int attempt;
    private transient int seen;

    @Override
    public void open(OpenContext ctx) {
      attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
    }

    @Override
    public Candidate map(Candidate c) {
      if (attempt == 0 && ++seen == 6) {
        FAILURES.incrementAndGet();
        throw new IllegalStateException("injected failure after 6 label requests");
      }
      return c;
    }
  }

  private static void runBounded(LabelRequestConfig cfg, boolean failOnce) throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 5);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    LabelRequestJob.configure(env, cfg);
    LabelRequestJob.build(env, cfg, LabelRequestJob.kafkaSources(cfg, true), LabelRequestJob.requestSink(cfg),
        LabelRequestJob.dlqSink(cfg), failOnce ? s -> s.map(new FailOnce()).setParallelism(1).name("failure injector") : s -> s);
    env.execute(cfg.jobName());
  }

  @Test
  void budgetsHoldRequestsCarryTheirContextAuditsSurfaceAndAReplayRepeatsNoRequestId(@TempDir Path tmp)
      throws Exception {
    // two entities (the machine, and the machine replayed from 2000 rows later), 10 hours each
    // the default query level (eval's): nothing uncertain in each entity's first 100 windows
    LabelRequestConfig cfg = config("budget", tmp.resolve("cp1"), LabelRequestConfig.defaults().scoreLevel(),
        0.5, 3, 10, 0.2, 3, 2, 4, Duration.ofMinutes(20), Duration.ofSeconds(30));
    createTopics(cfg);
    List<Step> steps = new ArrayList<>(steps(MACHINE, 4000, 4600, 0));
    steps.addAll(steps("machine-1-2-later", 4000, 4600, 2000));
    // the two entities share event times: send them interleaved in time, as telemetry arrives, so that
    // neither is hours behind the other's watermark in the one partition (all of it late)
    steps.sort(java.util.Comparator.comparingLong(Step::time));
    Map<String, Step> bySample = new HashMap<>();
    steps.forEach(s -> bySample.put(s.sampleId(), s));
    produce(cfg, steps);
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      p.send(new ProducerRecord<>(cfg.topics().predictions(), null, MACHINE.getBytes(), "not avro".getBytes(),
          List.of(new RecordHeader("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8))))).get(30, TimeUnit.SECONDS);
    }
    Prediction bad = AvroSerde.of(Prediction.class).decode(steps.get(5).prediction());
    bad.setProbability(1.5);
    send(cfg.topics().predictions(), MACHINE.getBytes(), AvroSerde.of(Prediction.class).encode(bad));
    send(cfg.topics().labels(), MACHINE.getBytes(), "not a label".getBytes());

    FAILURES.set(0);
    runBounded(cfg, true);
    assertThat(FAILURES.get()).isEqualTo(1);

    List<LabelRequest> out = read(cfg.topics().labelRequests(), LabelRequest.class, l -> false, Duration.ofSeconds(4));
    assertThat(out).hasSizeGreaterThan(10);

    // exactly once across the failure: no request id twice
    Map<String, Integer> ids = new HashMap<>();
    out.forEach(r -> ids.merge(r.getRequestId(), 1, Integer::sum));
    assertThat(ids.values()).allMatch(n -> n == 1);

    // each request carries the trace context of the prediction it asks about, when that had one
    Map<String, String> traces = requestTraces(cfg.topics().labelRequests());
    assertThat(traces.keySet()).containsExactlyInAnyOrderElementsOf(ids.keySet());
    int traced = 0;
    for (LabelRequest r : out) {
      int row = bySample.get(r.getSampleId()).row();
      String expected = row % 7 == 0 ? traceOf(row) : "";
      assertThat(traces.get(r.getRequestId())).as("trace context of %s", r.getRequestId()).isEqualTo(expected);
      traced += expected.isEmpty() ? 0 : 1;
    }
    assertThat(traced).as("requests for traced predictions").isPositive();

    // the budgets: per entity at most perHour + burst in any clock hour, at most 4 per hour overall,
    // and the global budget binds (the two entities want more than 4 in some hour)
    Map<String, Integer> perEntityHour = new HashMap<>();
    Map<Long, Integer> perHour = new HashMap<>();
    for (LabelRequest r : out) {
      long hour = r.getCreatedAt().toEpochMilli() / 3_600_000L;
      perEntityHour.merge(r.getEntity() + "@" + hour, 1, Integer::sum);
      perHour.merge(hour, 1, Integer::sum);
    }
    assertThat(perEntityHour.values()).allMatch(n -> n <= 3 + 2);
    assertThat(perHour.values()).allMatch(n -> n <= 4);
    assertThat(perHour.values()).contains(4);
    assertThat(out).extracting(LabelRequest::getEntity).contains(MACHINE, "machine-1-2-later");

    // what an annotator needs: 30 points before the window, the window, the features, the attributions
    // (checked last, below, so that the other properties are checked even when this one fails)
    List<LabelRequest> withContext = out;

    // audits surface windows the model is sure about
    List<LabelRequest> auditReqs = out.stream().filter(r -> r.getReason() == LabelReason.AUDIT).toList();
    assertThat(auditReqs).isNotEmpty();
    assertThat(auditReqs).anyMatch(r -> bySample.get(r.getSampleId()).uncertainty() < 0.5);
    // uncertain requests only once an entity's level exists (after its first 100 windows)
    List<LabelRequest> uncertain = out.stream().filter(r -> r.getReason() == LabelReason.UNCERTAIN).toList();
    assertThat(uncertain).isNotEmpty().allMatch(r -> bySample.get(r.getSampleId()).row() >= 4100);

    // unreadable inputs are in the DLQ with their reason
    List<DeadLetter> dlq = read(cfg.topics().dlq(), DeadLetter.class, l -> l.size() >= 3, Duration.ofSeconds(30));
    assertThat(dlq).extracting(DeadLetter::getErrorCode)
        .containsExactlyInAnyOrder("BAD_HEADER", "INVALID_PREDICTION", "BAD_HEADER");
    assertThat(dlq).allSatisfy(d -> {
      assertThat(d.getReason()).isNotBlank();
      assertThat(d.getValue()).isNotNull();
    });
    // the unreadable prediction keeps its headers (a trace context) in its dead letter; the others had none
    assertThat(dlq).filteredOn(d -> !d.getHeaders().isEmpty()).singleElement().satisfies(d -> {
      assertThat(d.getSourceTopic()).isEqualTo(cfg.topics().predictions());
      assertThat(StandardCharsets.UTF_8.decode(d.getHeaders().get("traceparent")).toString()).isEqualTo(TRACEPARENT);
    });

    // a replay of the same input (a new job, a new group, a new output topic) asks the same questions
    LabelRequestConfig replay = new LabelRequestConfig("replay", cfg.bootstrapServers(),
        new LabelRequestConfig.Topics(cfg.topics().telemetry(), cfg.topics().features(), cfg.topics().predictions(),
            cfg.topics().labels(), cfg.topics().drift(), "replay.requests", "replay.dlq"),
        "replay-group", "replay-tx", cfg.transactionTimeout(), cfg.checkpointInterval(),
        tmp.resolve("cp2").toUri().toString(), cfg.outOfOrderness(), cfg.idleness(), cfg.predictionsIdleness(),
        cfg.strategy(),
        cfg.uncertaintyMeasure(), cfg.scoreLevel(), cfg.minUncertainty(), cfg.cooldown(), cfg.firstFollowUp(),
        cfg.followUpGrowth(), cfg.randomRate(), cfg.auditShare(), cfg.entityBudget(), cfg.globalBudget(), cfg.contextPoints(), cfg.maxWindowPoints(),
        cfg.topAttributions(), cfg.driftBoost(), cfg.diversityStrength(), cfg.seed(), cfg.parallelism());
    runBounded(replay, false);
    List<LabelRequest> again = read("replay.requests", LabelRequest.class, l -> l.size() >= out.size(),
        Duration.ofSeconds(30));
    assertThat(again).extracting(LabelRequest::getRequestId)
        .containsExactlyInAnyOrderElementsOf(ids.keySet());

    for (LabelRequest r : withContext) {
      Step s = bySample.get(r.getSampleId());
      assertThat(r.getRequestId()).isEqualTo(LabelRequestOperator.requestId(r.getSampleId(),
          io.vigil.selection.QueryKind.valueOf(r.getReason().name())));
      assertThat(r.getFeatures()).isNotNull();
      assertThat(r.getFeatures().getSampleId()).isEqualTo(r.getSampleId());
      assertThat(r.getPrediction().getAttributions()).hasSize(SET.metrics().size());
      assertThat(r.getCreatedAt().toEpochMilli()).isEqualTo(s.time());
      long inWindow = r.getContext().stream().filter(p -> p.getInWindow()).count();
      long rowsSoFar = s.row() - 4000 + 1;
      assertThat(inWindow).as("%s row %s %s window %s..%s context %s", r.getEntity(), s.row(), r.getReason(),
          r.getWindowStart(), r.getWindowEnd(), r.getContext().stream().map(p -> p.getTime() + "/" + p.getInWindow()).toList())
          .isEqualTo(Math.min(10, rowsSoFar));
      assertThat(r.getContext().size() - inWindow).isEqualTo(Math.min(30, rowsSoFar - inWindow));
      var last = r.getContext().get(r.getContext().size() - 1);
      assertThat(last.getTime().toEpochMilli()).isEqualTo(s.time());
      assertThat(last.getMetrics()).isEqualTo(AvroSerde.of(TelemetrySample.class).decode(s.telemetry()).getMetrics());
    }
  }

  @Test
  void anOpenIncidentIsAskedOnlyByFollowUpsEveryFirstFollowUpWindowsUntilANormalLabelClosesIt(@TempDir Path tmp)
      throws Exception {
    // an eager policy (a low level over the last 32 windows: most windows are at or above it), so that the
    // quiet incident stands out; follow-ups every 5 windows
    LabelRequestConfig cfg = config("incident", tmp.resolve("cp"), new LabelRequestConfig.QueryLevel(0.3, 32, 1, 5),
        0.5, 0, 5, 0, 1000, 1000, 1000, Duration.ofMinutes(1), Duration.ofSeconds(3));
    createTopics(cfg);
    List<Step> steps = steps(MACHINE, 4500, 4760, 0);
    Map<String, Step> bySample = new HashMap<>();
    steps.forEach(s -> bySample.put(s.sampleId(), s));
    int phase1End = SEGMENT_START + 20 - 4500;  // up to the segment's 20th row
    int phase2End = SEGMENT_END - 4500;         // the rest of the segment
    long segmentStart = steps.get(SEGMENT_START - 4500).time();

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    LabelRequestJob.configure(env, cfg);
    LabelRequestJob.build(env, cfg, LabelRequestJob.kafkaSources(cfg, false), LabelRequestJob.requestSink(cfg),
        LabelRequestJob.dlqSink(cfg));
    JobClient job = env.executeAsync(cfg.jobName());
    try {
      // phase 1: up to the start of the burst; the first request in it gets an "anomaly" answer
      produce(cfg, steps.subList(0, phase1End));
      List<LabelRequest> first = read(cfg.topics().labelRequests(), LabelRequest.class,
          l -> l.stream().anyMatch(r -> r.getWindowEnd().toEpochMilli() >= segmentStart), Duration.ofSeconds(30));
      assertThat(first.stream().filter(r -> r.getWindowEnd().toEpochMilli() < segmentStart).count())
          .as("the eager policy asks about many windows before the incident").isGreaterThan(20);
      LabelRequest opened = first.stream().filter(r -> r.getWindowEnd().toEpochMilli() >= segmentStart)
          .findFirst().orElseThrow();
      Step openedStep = bySample.get(opened.getSampleId());
      send(cfg.topics().labels(), opened.getSampleId().getBytes(), AvroSerde.of(LabelEvent.class)
          .encode(label(openedStep, LabelValue.ANOMALY, "inc-smd-1", IncidentAction.OPENED)));
      awaitLabelsCheckpointed(cfg, 1);

      // phase 2: the rest of the burst: only follow-ups, every 5 windows
      long phase1Time = steps.get(phase1End - 1).time();
      long phase2Time = steps.get(phase2End - 1).time();
      produce(cfg, steps.subList(phase1End, phase2End + 10));
      List<LabelRequest> sofar = read(cfg.topics().labelRequests(), LabelRequest.class,
          l -> l.stream().filter(r -> r.getReason() == LabelReason.INCIDENT_FOLLOW_UP).count() >= 3,
          Duration.ofSeconds(60)).stream().filter(r -> r.getWindowEnd().toEpochMilli() <= phase2Time).toList();
      // the label was applied before any window after phase 1 was decided: from there on only follow-ups
      List<LabelRequest> during = sofar.stream().filter(r -> r.getWindowEnd().toEpochMilli() > phase1Time).toList();
      assertThat(during).isNotEmpty().allSatisfy(r -> {
        assertThat(r.getReason()).isEqualTo(LabelReason.INCIDENT_FOLLOW_UP);
        assertThat(r.getIncidentId()).isEqualTo("inc-smd-1");
      });
      // at least three follow-ups in the rest of the burst (about 40 windows), 5 windows apart
      List<LabelRequest> followUps = sofar.stream().filter(r -> r.getReason() == LabelReason.INCIDENT_FOLLOW_UP).toList();
      assertThat(followUps).as("opened at row %s", openedStep.row()).hasSizeGreaterThanOrEqualTo(3)
          .allMatch(r -> "inc-smd-1".equals(r.getIncidentId()));
      List<Integer> rows = followUps.stream().map(r -> bySample.get(r.getSampleId()).row()).sorted().toList();
      assertThat(rows.get(0)).isGreaterThan(openedStep.row());
      for (int i = 1; i < rows.size(); i++) {
        assertThat(rows.get(i) - rows.get(i - 1)).as("follow-up rows %s", rows).isEqualTo(5);
      }

      // "it's over": the last follow-up answered normal closes the incident; ordinary requests return
      Step lastFollowUp = bySample.get(followUps.get(followUps.size() - 1).getSampleId());
      send(cfg.topics().labels(), lastFollowUp.sampleId().getBytes(), AvroSerde.of(LabelEvent.class)
          .encode(label(lastFollowUp, LabelValue.NORMAL, "inc-smd-1", IncidentAction.CLOSED)));
      awaitLabelsCheckpointed(cfg, 2);
      long closedAfter = steps.get(phase2End + 9).time();
      produce(cfg, steps.subList(phase2End + 10, steps.size()));
      List<LabelRequest> after = read(cfg.topics().labelRequests(), LabelRequest.class,
          l -> l.stream().filter(r -> r.getWindowEnd().toEpochMilli() > closedAfter).count() >= 10,
          Duration.ofSeconds(60)).stream().filter(r -> r.getWindowEnd().toEpochMilli() > closedAfter).toList();
      assertThat(after).hasSizeGreaterThanOrEqualTo(10);
      assertThat(after).noneMatch(r -> r.getReason() == LabelReason.INCIDENT_FOLLOW_UP);
      assertThat(after).allMatch(r -> r.getIncidentId() == null);
      Set<String> seen = new HashSet<>();
      assertThat(read(cfg.topics().labelRequests(), LabelRequest.class, l -> false, Duration.ofSeconds(1)))
          .allMatch(r -> seen.add(r.getRequestId()));
    } finally {
      job.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
