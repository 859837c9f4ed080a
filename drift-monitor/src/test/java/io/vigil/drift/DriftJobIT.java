package io.vigil.drift;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.Registration;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RunRef;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
import io.vigil.drift.stats.DriftPolicy;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.DriftReport;
import io.vigil.schemas.FeatureDrift;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelValue;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drift job on a Flink MiniCluster against a real Kafka broker, the real registry server (H2 +
 * the embedded S3 server) holding two versions with reference profiles built from SMD training rows,
 * replaying machine-1-2's test rows as feature vectors and predictions.
 */
class DriftJobIT {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  static final String MODEL = "smd-detector";
  static final int WINDOW_MINUTES = 60;
  /**
   * The job's default. With 1 s, a loaded machine sometimes let a source's split count as idle before
   * its first records came (consumer start-up) while the other source, bounded and already read to its
   * end, had sent its final watermark: every vector of the replay was then late.
   */
  static final Duration IDLENESS = Duration.ofSeconds(5);

  @TempDir static Path dir;
  static RegistryServer registry;
  static SmdReplay replay;
  static SmdReplay other;
  static String v1;
  static String v2;

  @BeforeAll
  static void registerTwoVersions() throws Exception {
    registry = RegistryServer.start(RegistryServerConfig.defaults().withPort(0)
        .withStore(new RegistryServerConfig.Store(
            "jdbc:h2:file:" + dir.resolve("registry").toAbsolutePath() + ";LOCK_TIMEOUT=10000", "sa", "", 4))
        .withArtifacts(new RegistryServerConfig.Artifacts("s3://vigil-models/mlflow", S3.s3().endpoint(),
            S3.s3().accessKey(), S3.s3().secretKey(), "us-east-1", true)));
    replay = new SmdReplay("machine-1-2", SmdDriftTest.ROWS);
    other = new SmdReplay("machine-1-5", 10);
    try (RegistryClient client = client()) {
      v1 = register(client, replay.profile(), "v1").version();
      v2 = register(client, other.profile(), "v2").version();
    }
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  static RegistryClient client() {
    return new RegistryClient(ClientSettings.of(registry.url(), S3.s3().endpoint(), S3.s3().accessKey(),
        S3.s3().secretKey()), ModelEventPublisher.discarding(), Clock.systemUTC());
  }

  static ModelVersionInfo register(RegistryClient client, ReferenceProfile profile, String tag) throws Exception {
    Path model = Files.createDirectories(dir.resolve("model-" + tag));
    Files.writeString(model.resolve("model.json"), "{\"architecture\":\"test scorer: summary.max_abs_z\"}");
    profile.write(model.resolve(ReferenceProfile.FILE));
    RunRef run = client.startRun(client.experimentId("drift-it"), "train-" + tag);
    client.uploadArtifacts(run.runId(), "model", model);
    ModelVersionInfo v = client.register(new Registration(MODEL, run.runId(), "model", SmdReplay.SET.version(),
        profile.dataSnapshot(), "s-0..s-1", "drift test " + tag, Map.of(), "drift-it"));
    client.finishRun(run.runId(), true);
    return v;
  }

  private DriftJobConfig config(String prefix) {
    DriftJobConfig d = DriftJobConfig.defaults();
    return new DriftJobConfig(prefix, KAFKA.bootstrapServers(), prefix + ".features", prefix + ".predictions",
        prefix + ".labels", prefix + ".drift", prefix + ".dlq", prefix + "-group", prefix + "-tx",
        Duration.ofMinutes(5), null, Duration.ofMinutes(WINDOW_MINUTES), Duration.ofMinutes(2), IDLENESS,
        IDLENESS, Duration.ofMinutes(30), Duration.ofDays(1), Duration.ofMillis(500),
        dir.resolve("cp-" + prefix).toUri().toString(),
        new DriftJobConfig.Registry(registry.url(), S3.s3().endpoint(), S3.s3().accessKey(), S3.s3().secretKey(),
            Duration.ofMinutes(1)),
        DriftPolicy.defaults(), 2);
  }

  private void createTopics(DriftJobConfig c) throws Exception {
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic(c.featuresTopic(), 2, (short) 1),
          new NewTopic(c.predictionsTopic(), 2, (short) 1), new NewTopic(c.labelsTopic(), 1, (short) 1),
          new NewTopic(c.driftTopic(), 1, (short) 1), new NewTopic(c.dlqTopic(), 1, (short) 1)))
          .all().get(30, TimeUnit.SECONDS);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 10, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.ACKS_CONFIG, "1"),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Vectors (and predictions by v1, and by v2 as a shadow from {@code v2From} on) of the replay. */
  private void produce(DriftJobConfig c, boolean shift, int v2From) {
    produce(c, shift, v2From, Integer.MAX_VALUE);
  }

  /**
   * As above, with v1 scoring only the samples before {@code v1Until}: from there on v2 is the
   * champion (its predictions no longer shadow ones).
   */
  private void produce(DriftJobConfig c, boolean shift, int v2From, int v1Until) {
    List<double[]> f = SmdReplay.features(replay.testRows, replay.trainStd,
        shift ? SmdDriftTest.shiftedColumns() : Set.of(), SmdDriftTest.SHIFT_FROM, 5);
    List<FeatureVector> vectors = replay.vectors(f);
    AvroSerde<FeatureVector> fs = AvroSerde.of(FeatureVector.class);
    AvroSerde<Prediction> ps = AvroSerde.of(Prediction.class);
    AvroSerde<LabelEvent> ls = AvroSerde.of(LabelEvent.class);
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      for (int i = 0; i < vectors.size(); i++) {
        FeatureVector v = vectors.get(i);
        byte[] key = v.getEntity().getBytes(StandardCharsets.UTF_8);
        p.send(new ProducerRecord<>(c.featuresTopic(), key, fs.encode(v)));
        if (i < v1Until) {
          p.send(new ProducerRecord<>(c.predictionsTopic(), key,
              ps.encode(replay.prediction(v, f.get(i), MODEL, v1, replay.threshold, false))));
        }
        if (i >= v2From) {
          p.send(new ProducerRecord<>(c.predictionsTopic(), key,
              ps.encode(replay.prediction(v, f.get(i), MODEL, v2, other.threshold, i < v1Until))));
        }
        if (i % 7 == 0) {
          p.send(new ProducerRecord<>(c.labelsTopic(), v.getSampleId().getBytes(StandardCharsets.UTF_8),
              ls.encode(LabelEvent.newBuilder().setEventId("e" + i).setSampleId(v.getSampleId())
                  .setEntity(v.getEntity()).setAnnotator("it").setLabel(i % 2 == 0 ? LabelValue.NORMAL : LabelValue.ANOMALY)
                  .setLabeledAt(Instant.now()).setIdempotencyKey("k" + i).build())));
        }
      }
      // bad input: unreadable bytes, and a prediction whose probability is not a probability
      p.send(new ProducerRecord<>(c.featuresTopic(), null, "x".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3},
          List.of(new RecordHeader("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8)))));
      Prediction bad = Prediction.newBuilder(replay.prediction(vectors.get(5), f.get(5), MODEL, v1, replay.threshold, false))
          .setProbability(1.7).build();
      p.send(new ProducerRecord<>(c.predictionsTopic(), "x".getBytes(StandardCharsets.UTF_8), ps.encode(bad)));
      p.flush();
    }
  }

  private void run(DriftJobConfig c) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    DriftJob.configure(env, c);
    DriftJob.build(env, c, SmdReplay.SET, new RegistryReferenceSource(c.registry()),
        DriftJob.kafkaSource(c, c.featuresTopic(), DriftInput.Kind.FEATURES, true),
        DriftJob.kafkaSource(c, c.predictionsTopic(), DriftInput.Kind.PREDICTION, true),
        DriftJob.kafkaSource(c, c.labelsTopic(), DriftInput.Kind.LABEL, true),
        DriftJob.driftSink(c), DriftJob.dlqSink(c));
    env.execute(c.jobName());
  }

  private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
    Map<String, Object> cc = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "check-" + topic + "-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (var c = new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int emptyPolls = 0;
      while (System.nanoTime() < deadline && (out.isEmpty() || emptyPolls < 5)) {
        var batch = c.poll(Duration.ofMillis(200));
        emptyPolls = batch.isEmpty() ? emptyPolls + 1 : 0;
        batch.forEach(out::add);
      }
    }
    return out;
  }

  private static List<DriftReport> reports(DriftJobConfig c, String version) {
    AvroSerde<DriftReport> serde = AvroSerde.of(DriftReport.class);
    return readCommitted(c.driftTopic()).stream().map(r -> serde.decode(r.value()))
        .filter(r -> r.getModelVersion().equals(version))
        .sorted(Comparator.comparing(DriftReport::getWindowStart)).toList();
  }

  private static int windowIndex(DriftReport r) {
    return (int) Duration.between(SmdReplay.START, r.getWindowStart()).toMinutes() / WINDOW_MINUTES;
  }

  @Test
  void aShiftInThreeMetricsRaisesAnAlarmThatNamesThemAndBadRecordsGoToTheDlq() throws Exception {
    DriftJobConfig c = config("shift");
    createTopics(c);
    produce(c, true, Integer.MAX_VALUE);
    run(c);

    List<DriftReport> reports = reports(c, v1);
    assertThat(reports).hasSize(SmdDriftTest.ROWS / WINDOW_MINUTES);
    assertThat(reports).allSatisfy(r -> {
      assertThat(r.getSampleCount()).isEqualTo(WINDOW_MINUTES);
      assertThat(r.getFeatures()).hasSize(SmdReplay.SET.featureNames().size());
      assertThat(r.getScore()).isNotNull();
      assertThat(r.getEstimatedF1()).isNotNull();
    });
    int shiftWindow = SmdDriftTest.SHIFT_FROM / WINDOW_MINUTES;
    DriftReport first = reports.stream().filter(DriftReport::getAlarm).findFirst().orElseThrow();
    assertThat(windowIndex(first)).isBetween(shiftWindow, shiftWindow + 5);
    DriftReport later = reports.get(windowIndex(first) + 3);
    assertThat(later.getAlarm()).isTrue();
    assertThat(later.getAlarmReason()).contains("cpu_r", "mem_u", "tcp_use");
    // the shifted metrics' level features are drifted in the report
    Set<String> drifted = later.getFeatures().stream().filter(FeatureDrift::getDrifted)
        .map(FeatureDrift::getFeature).collect(Collectors.toSet());
    assertThat(drifted).contains("cpu_r.last", "mem_u.w10.mean", "tcp_use.w10.max");

    AvroSerde<DeadLetter> dl = AvroSerde.of(DeadLetter.class);
    List<DeadLetter> dead = readCommitted(c.dlqTopic()).stream().map(r -> dl.decode(r.value())).toList();
    assertThat(dead).extracting(DeadLetter::getErrorCode).contains("BAD_HEADER", "BAD_PROBABILITY");
    assertThat(dead).allSatisfy(d -> assertThat(d.getValue()).isNotNull());
    // the unreadable record keeps its headers (here a trace context) in its dead letter
    DeadLetter unreadable = dead.stream().filter(d -> d.getErrorCode().equals("BAD_HEADER")).findFirst().orElseThrow();
    assertThat(unreadable.getHeaders()).containsOnlyKeys("traceparent");
    assertThat(StandardCharsets.UTF_8.decode(unreadable.getHeaders().get("traceparent")).toString()).isEqualTo(TRACEPARENT);
  }

  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void withoutAShiftNoAlarmAndASecondVersionGetsItsOwnReportsAgainstItsOwnReference() throws Exception {
    DriftJobConfig c = config("plain");
    createTopics(c);
    int swap = SmdDriftTest.ROWS / 2;
    produce(c, false, swap);
    run(c);

    List<DriftReport> first = reports(c, v1);
    assertThat(first).hasSize(SmdDriftTest.ROWS / WINDOW_MINUTES);
    assertThat(first).noneMatch(DriftReport::getAlarm);

    List<DriftReport> second = reports(c, v2);
    assertThat(second).hasSize((SmdDriftTest.ROWS - swap) / WINDOW_MINUTES);
    assertThat(windowIndex(second.get(0))).isEqualTo(swap / WINDOW_MINUTES);
    // same samples, another reference: other distances
    DriftReport a = first.get(windowIndex(second.get(0)));
    DriftReport b = second.get(0);
    assertThat(a.getWindowStart()).isEqualTo(b.getWindowStart());
    assertThat(a.getSampleCount()).isEqualTo(b.getSampleCount());
    assertThat(b.getFeatures().get(0).getPsi()).isNotEqualTo(a.getFeatures().get(0).getPsi());
    assertThat(b.getDriftedShare()).isNotEqualTo(a.getDriftedShare());
  }

  /**
   * The champion is replaced mid-stream (v1 scores the first half, v2 the rest): every window is
   * reported once, by the version that scored it, with all its samples, and from the swap on against
   * v2's reference — a profile of another machine, so the same unshifted data drifts far more.
   */
  @Test
  void aModelSwapSwitchesTheReferenceProfile() throws Exception {
    DriftJobConfig c = config("swap");
    createTopics(c);
    int swap = SmdDriftTest.ROWS / 2;
    produce(c, false, swap, swap);
    run(c);

    List<DriftReport> before = reports(c, v1);
    List<DriftReport> after = reports(c, v2);
    assertThat(before).hasSize(swap / WINDOW_MINUTES);
    assertThat(after).hasSize((SmdDriftTest.ROWS - swap) / WINDOW_MINUTES);
    assertThat(windowIndex(before.get(before.size() - 1))).isEqualTo(swap / WINDOW_MINUTES - 1);
    assertThat(windowIndex(after.get(0))).isEqualTo(swap / WINDOW_MINUTES);
    assertThat(before).noneMatch(DriftReport::getAlarm);
    assertThat(before).allSatisfy(r -> assertThat(r.getSampleCount()).isEqualTo(WINDOW_MINUTES));
    assertThat(after).allSatisfy(r -> assertThat(r.getSampleCount()).isEqualTo(WINDOW_MINUTES));
    double shareBefore = before.stream().mapToDouble(DriftReport::getDriftedShare).average().orElseThrow();
    double shareAfter = after.stream().mapToDouble(DriftReport::getDriftedShare).average().orElseThrow();
    assertThat(shareAfter).as("drifted share against v2's reference").isGreaterThan(shareBefore + 0.1);
  }

  /**
   * As in {@code vigil up}: the features are all there before scoring writes its first prediction, and
   * the gap is longer than the features' idleness. The predictions input keeps event time waiting for
   * its own, longer timeout, so the vectors stay in the join until their predictions come and every
   * window gets its report. (With one short idleness for both inputs, no report was written.)
   */
  @Test
  void predictionsThatComeLongAfterTheirFeaturesStillGetTheirReports() throws Exception {
    DriftJobConfig base = config("trailing");
    // features idle after 1 s; predictions after 30 s (not the default 2 min: the replay's one entity
    // leaves one of the two predictions partitions empty, and it holds event time back that long)
    DriftJobConfig c = new DriftJobConfig(base.jobName(), base.bootstrapServers(), base.featuresTopic(),
        base.predictionsTopic(), base.labelsTopic(), base.driftTopic(), base.dlqTopic(), base.groupId(),
        base.transactionalIdPrefix(), base.transactionTimeout(), null, base.window(), base.outOfOrderness(),
        Duration.ofSeconds(1), Duration.ofSeconds(30), base.joinTtl(), base.labelTtl(), base.checkpointInterval(),
        base.checkpointDir(), base.registry(), base.drift(), base.parallelism());
    createTopics(c);
    List<double[]> f = SmdReplay.features(replay.testRows, replay.trainStd, Set.of(), SmdDriftTest.SHIFT_FROM, 5);
    List<FeatureVector> vectors = replay.vectors(f);
    AvroSerde<FeatureVector> fs = AvroSerde.of(FeatureVector.class);
    AvroSerde<Prediction> ps = AvroSerde.of(Prediction.class);

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    DriftJob.configure(env, c);
    DriftJob.build(env, c, SmdReplay.SET, new RegistryReferenceSource(c.registry()),
        DriftJob.kafkaSource(c, c.featuresTopic(), DriftInput.Kind.FEATURES, false),
        DriftJob.kafkaSource(c, c.predictionsTopic(), DriftInput.Kind.PREDICTION, false),
        null, DriftJob.driftSink(c), DriftJob.dlqSink(c));
    var job = env.executeAsync(c.jobName());
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      for (FeatureVector v : vectors) {
        p.send(new ProducerRecord<>(c.featuresTopic(), v.getEntity().getBytes(StandardCharsets.UTF_8), fs.encode(v)));
      }
      p.flush();
      // scoring lags: the features' partitions go idle (1 s) long before the first prediction
      Thread.sleep(8_000);
      for (int i = 0; i < vectors.size(); i++) {
        FeatureVector v = vectors.get(i);
        p.send(new ProducerRecord<>(c.predictionsTopic(), v.getEntity().getBytes(StandardCharsets.UTF_8),
            ps.encode(replay.prediction(v, f.get(i), MODEL, v1, replay.threshold, false))));
      }
      p.flush();
      // unbounded sources: the last window stays open, every earlier one is reported
      int expected = SmdDriftTest.ROWS / WINDOW_MINUTES - 1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      List<DriftReport> reports = List.of();
      while (System.nanoTime() < deadline && reports.size() < expected) {
        Thread.sleep(1_000);
        reports = reports(c, v1);
      }
      assertThat(reports).hasSizeGreaterThanOrEqualTo(expected);
      assertThat(reports).allSatisfy(r -> assertThat(r.getSampleCount()).isEqualTo(WINDOW_MINUTES));
    } finally {
      job.cancel().get(30, TimeUnit.SECONDS);
    }
  }
}
