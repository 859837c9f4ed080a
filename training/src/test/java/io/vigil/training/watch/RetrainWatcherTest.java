package io.vigil.training.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelSpec;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.KafkaModelEventPublisher;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.Registration;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RunRef;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelValue;
import io.vigil.schemas.ModelEvent;
import io.vigil.schemas.ModelEventType;
import io.vigil.schemas.SampleIds;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.training.ColdStartConfig;
import io.vigil.training.ColdStartTrainer;
import io.vigil.training.FeatureMatrix;
import io.vigil.training.TrainedModel;
import io.vigil.training.TrainingConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher end to end against a real Kafka broker, a real S3 server and the registry server:
 * feature vectors and labels on their topics, a run triggered once, the version registered with its
 * label snapshot and learned-sample list, and the decision per policy.
 *
 * <p>Data built so the answer is known: 6 Gaussian features, every 10th window from 500 on shifted
 * by +6 on three features (an anomaly); the champion is a model trained on the same rows whose
 * threshold is so high it never flags anything (holdout F1 0).
 */
class RetrainWatcherTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir static Path dir;

  static final List<String> NAMES = List.of("f0", "f1", "f2", "f3", "f4", "f5");
  static final String FSV = "fs-synthetic-1";
  static final String ENTITY = "host-1";
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final ColdStartConfig SMALL = new ColdStartConfig(List.of(8, 3, 8), 5, 64, 1e-2, 5, 0.2, 0.99, 10, 1.0, 0.0);

  static RegistryServer server;

  @BeforeAll
  static void start() {
    RegistryServerConfig d = RegistryServerConfig.defaults();
    server = RegistryServer.start(d.withPort(0)
        .withStore(new RegistryServerConfig.Store(
            "jdbc:h2:file:" + dir.resolve("registry").toAbsolutePath() + ";LOCK_TIMEOUT=10000", "sa", "", 8))
        .withArtifacts(new RegistryServerConfig.Artifacts("s3://vigil-models/mlflow", S3.s3().endpoint(),
            S3.s3().accessKey(), S3.s3().secretKey(), "us-east-1", true)));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static boolean anomalous(int i) {
    return i >= 500 && i % 10 == 7;
  }

  static String sampleId(int i) {
    return SampleIds.of(ENTITY, T0.plusSeconds(60L * i), FSV);
  }

  static float[] row(int i, Random r) {
    float[] v = new float[NAMES.size()];
    for (int c = 0; c < v.length; c++) {
      v[c] = (float) (r.nextGaussian() + (anomalous(i) && c < 3 ? 6 : 0));
    }
    return v;
  }

  static List<float[]> rows(int n) {
    Random r = new Random(11);
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(row(i, r));
    }
    return out;
  }

  static LabelEvent label(String eventId, int i, boolean anomaly, String retracts) {
    return LabelEvent.newBuilder().setEventId(eventId).setSampleId(sampleId(i)).setEntity(ENTITY)
        .setAnnotator("ann").setLabel(anomaly ? LabelValue.ANOMALY : LabelValue.NORMAL)
        .setLabeledAt(T0.plusSeconds(100_000L + i)).setIdempotencyKey(eventId).setRetracts(retracts).build();
  }

  record Setup(String model, TrainingConfig config, RegistryClient client, KafkaModelEventPublisher events) {}

  static Setup setup(String model, String policy) throws Exception {
    String p = model + ".";
    KAFKA.kafka().admin().createTopics(List.of(new NewTopic(p + "labels", 2, (short) 1),
        new NewTopic(p + "drift", 1, (short) 1), new NewTopic(p + "features", 2, (short) 1),
        new NewTopic(p + "model-events", 1, (short) 1))).all().get();
    KafkaModelEventPublisher events = KafkaModelEventPublisher.create(KAFKA.bootstrapServers(), p + "model-events");
    RegistryClient client = new RegistryClient(ClientSettings.of(server.url(), S3.s3().endpoint(),
        S3.s3().accessKey(), S3.s3().secretKey()), events, Clock.systemUTC());
    TrainingConfig d = TrainingConfig.defaults();
    TrainingConfig.Registry r = d.registry();
    TrainingConfig config = d.withModel(SMALL)
        .withRegistry(new TrainingConfig.Registry(server.url(), S3.s3().endpoint(), S3.s3().accessKey(),
            S3.s3().secretKey(), "us-east-1", "retrain-" + model, model, "test"))
        .withWatch(new WatchConfig(
            new WatchConfig.Kafka(KAFKA.bootstrapServers(), p + "labels", p + "drift", p + "features",
                p + "model-events"),
            // 300 new labels: the bursts below are 300 usable labels each, so a run starts once a whole
            // burst is in (a retracted label does not count)
            new WatchConfig.Triggers(300, true, 0, 3600, 50),
            new WatchConfig.Data(10_000, 0.3, 50, 20),
            new WatchConfig.Promotion(policy, 0.02, "champion", "challenger", "retrain-watcher"),
            dir.resolve("work-" + model).toString()));
    return new Setup(model, config, client, events);
  }

  /** Registers a model trained on the first rows whose threshold never flags: holdout F1 0. */
  static String registerBlindChampion(Setup s, List<float[]> data) {
    FeatureMatrix.Builder b = new FeatureMatrix.Builder(NAMES);
    for (int i = 0; i < 400; i++) {
      b.add(i, data.get(i));
    }
    try (TrainedModel m = new ColdStartTrainer(SMALL).train(b.build(), "synthetic", FSV, (e, n, l) -> { })) {
      ModelSpec spec = m.artifact().spec();
      ModelSpec blind = spec.withScale(new ModelSpec.ScoreScale(spec.scale().center(), spec.scale().spread(), 1e9));
      Path modelDir = dir.resolve("blind-" + s.model());
      ModelArtifacts.save(new ModelArtifact(blind, m.artifact().model()), modelDir);
      RunRef run = s.client().startRun(s.client().experimentId("blind"), "blind");
      s.client().uploadArtifacts(run.runId(), "model", modelDir);
      ModelVersionInfo v = s.client().register(new Registration(s.model(), run.runId(), "model", FSV, "data-x",
          "a..b", null, Map.of(), "test"));
      s.client().finishRun(run.runId(), true);
      s.client().setAlias(s.model(), "champion", v.version(), "test", "the blind one");
      return v.version();
    }
  }

  static KafkaProducer<String, byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
  }

  static void publishFeatures(KafkaProducer<String, byte[]> producer, String topic, List<float[]> data) {
    AvroSerde<FeatureVector> serde = AvroSerde.of(FeatureVector.class);
    for (int i = 0; i < data.size(); i++) {
      List<Double> values = new ArrayList<>();
      for (float f : data.get(i)) {
        values.add((double) f);
      }
      Instant end = T0.plusSeconds(60L * i);
      producer.send(new ProducerRecord<>(topic, ENTITY, serde.encode(FeatureVector.newBuilder()
          .setSampleId(sampleId(i)).setEntity(ENTITY).setWindowStart(end.minusSeconds(600)).setWindowEnd(end)
          .setFeatureSetId("synthetic").setFeatureSetVersion(FSV).setNames(NAMES).setValues(values)
          .setSequence(i).build())));
    }
    producer.flush();
  }

  static void publishLabels(KafkaProducer<String, byte[]> producer, String topic, List<LabelEvent> labels) {
    AvroSerde<LabelEvent> serde = AvroSerde.of(LabelEvent.class);
    for (LabelEvent l : labels) {
      producer.send(new ProducerRecord<>(topic, l.getSampleId(), serde.encode(l)));
    }
    producer.flush();
  }

  static void publishDrift(KafkaProducer<String, byte[]> producer, String topic, String model, boolean alarm) {
    io.vigil.schemas.DriftReport r = io.vigil.schemas.DriftReport.newBuilder().setModelName(model)
        .setModelVersion("1").setWindowStart(T0).setWindowEnd(T0.plusSeconds(600)).setSampleCount(10)
        .setFeatures(List.of()).setDriftedShare(alarm ? 0.6 : 0.0).setAlarm(alarm)
        .setAlarmReason(alarm ? "drift alarm raised: 2 metric(s) over the per-metric CUSUM threshold" : null).build();
    producer.send(new ProducerRecord<>(topic, model, AvroSerde.of(io.vigil.schemas.DriftReport.class).encode(r)));
    producer.flush();
  }

  /** Labels for windows [from, to): the truth, plus (at {@code wrong}) a wrong label that is then retracted. */
  static List<LabelEvent> truth(int from, int to, String prefix) {
    List<LabelEvent> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(label(prefix + i, i, anomalous(i), null));
    }
    return out;
  }

  static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  static List<ModelEvent> modelEvents(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    List<ModelEvent> out = new ArrayList<>();
    try (KafkaConsumer<String, ModelEvent> c = new KafkaConsumer<>(p, new StringDeserializer(),
        AvroSerde.of(ModelEvent.class).deserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }

  static JsonNode lineage(RegistryClient client, ModelVersionInfo v) throws Exception {
    String uri = client.mlflow().getRun(v.runId()).getInfo().getArtifactUri();
    String rel = uri.substring("s3://vigil-models/mlflow/".length()) + "/" + v.tags().get(RetrainRun.LINEAGE_TAG);
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(server.url() + "/api/2.0/mlflow-artifacts/artifacts/" + rel)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body());
  }

  /** Writes {@code data} as the feature job's archive on S3: one Avro part file per hour of window ends. */
  static String archiveOnS3(String bucket, List<float[]> data) throws Exception {
    MinioClient minio = MinioClient.builder().endpoint(S3.s3().endpoint())
        .credentials(S3.s3().accessKey(), S3.s3().secretKey()).region("us-east-1").build();
    minio.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
    Map<String, List<FeatureVector>> parts = new java.util.TreeMap<>();
    for (int i = 0; i < data.size(); i++) {
      List<Double> values = new ArrayList<>();
      for (float f : data.get(i)) {
        values.add((double) f);
      }
      Instant end = T0.plusSeconds(60L * i);
      FeatureVector v = FeatureVector.newBuilder().setSampleId(sampleId(i)).setEntity(ENTITY)
          .setWindowStart(end.minusSeconds(600)).setWindowEnd(end).setFeatureSetId("synthetic")
          .setFeatureSetVersion(FSV).setNames(NAMES).setValues(values).setSequence(i).build();
      parts.computeIfAbsent(FeatureArchiveTest.partition(end), k -> new ArrayList<>()).add(v);
    }
    for (Map.Entry<String, List<FeatureVector>> e : parts.entrySet()) {
      put(minio, bucket, "archive/" + e.getKey() + "/part-0-0", avro(e.getValue()));
    }
    // an in-progress part (hidden) and a committed part that is not Avro
    String last = parts.keySet().stream().reduce((a, b) -> b).orElseThrow();
    put(minio, bucket, "archive/" + last + "/.part-0-1.inprogress.77", new byte[] {1, 2, 3});
    put(minio, bucket, "archive/" + last + "/part-1-0", "garbage".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return "s3://" + bucket + "/archive";
  }

  static byte[] avro(List<FeatureVector> vectors) throws java.io.IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    FeatureArchiveTest.writePart(out, vectors);
    return out.toByteArray();
  }

  static void put(MinioClient minio, String bucket, String name, byte[] bytes) throws Exception {
    minio.putObject(PutObjectArgs.builder().bucket(bucket).object(name)
        .stream(new java.io.ByteArrayInputStream(bytes), bytes.length, -1).build());
  }

  @Test
  void aRunOnTheFeatureArchiveLearnsFromTheLabelsTopicAndRecordsWhereItsDataCameFrom() throws Exception {
    Setup s = setup("archive-model", "auto");
    List<float[]> data = rows(800);
    String location = archiveOnS3("archive-model-features", data);
    try (KafkaProducer<String, byte[]> producer = producer()) {
      List<LabelEvent> burst = new ArrayList<>();
      burst.add(label("wrong-520", 520, true, null));
      burst.add(label("undo-520", 520, false, "wrong-520"));
      burst.addAll(truth(500, 800, "ev-"));
      burst.add(label("ev-600", 600, anomalous(600), null)); // delivered twice
      burst.add(LabelEvent.newBuilder(label("unsure-10", 10, false, null)).setLabel(LabelValue.UNSURE).build());
      publishLabels(producer, "archive-model.labels", burst);
    }
    TrainingLabels labels = TrainingLabels.fromTopic(KAFKA.bootstrapServers(), "archive-model.labels",
        Duration.ofSeconds(30));
    assertThat(labels.records()).isEqualTo(304);
    assertThat(labels.size()).isEqualTo(300);
    assertThat(labels.unusable()).isEqualTo(1);
    assertThat(labels.source()).isEqualTo("topic archive-model.labels");

    TrainingConfig.Registry r = s.config().registry();
    FeatureArchive archive = FeatureArchive.open(location, new FeatureArchive.S3(r.s3Endpoint(), r.s3AccessKey(),
        r.s3SecretKey(), r.s3Region()));
    OneOffRun.Result res = OneOffRun.onArchive(s.config(), s.client(), s.events(), archive, null, null,
        10_000, labels, io.vigil.training.EpochListener.none(), Clock.systemUTC());
    assertThat(res.archive().vectors()).isEqualTo(800);
    assertThat(res.archive().unreadableFiles()).isEqualTo(1);
    assertThat(res.rows()).isEqualTo(800);
    assertThat(res.labelsWithFeatures()).isEqualTo(300);
    RetrainDecision d = res.decision();
    assertThat(d.trigger()).isEqualTo("manual");
    assertThat(d.outcome()).isEqualTo(RetrainDecision.Outcome.PROMOTED); // no champion yet
    assertThat(d.labelsUsed()).isEqualTo(300);
    assertThat(d.metrics().get("holdout_f1")).isGreaterThan(0.5);

    ModelVersionInfo v = s.client().byAlias("archive-model", "champion").orElseThrow();
    assertThat(v.version()).isEqualTo(d.version());
    List<LabelBook.Label> expected = new ArrayList<>();
    for (int i = 500; i < 800; i++) {
      expected.add(new LabelBook.Label(sampleId(i), anomalous(i), "ev-" + i, 0));
    }
    assertThat(v.tags()).containsEntry(RetrainRun.LABEL_SNAPSHOT_TAG, LabelBook.snapshotId(expected))
        .containsEntry(Registration.FEATURE_SET_TAG, FSV);
    Map<String, String> params = new java.util.HashMap<>();
    s.client().mlflow().getRun(v.runId()).getData().getParamsList().forEach(p -> params.put(p.getKey(), p.getValue()));
    assertThat(params).containsEntry("features_source", "archive " + location)
        .containsEntry("labels_source", "topic archive-model.labels")
        .containsEntry("features_range", "-..-");
    assertThat(lineage(s.client(), v).path("unlabelled").size()).isGreaterThan(400);

    // a range: only the windows inside it, whole hours outside it not opened; the labels outside it
    // have no features and are not used; the new candidate is judged against the champion above
    Instant since = T0.plusSeconds(60L * 700);
    OneOffRun.Result later = OneOffRun.onArchive(s.config(), s.client(), s.events(), archive, since, null,
        10_000, labels, io.vigil.training.EpochListener.none(), Clock.systemUTC());
    assertThat(later.archive().vectors()).isEqualTo(100);
    assertThat(later.archive().prunedFiles()).isEqualTo(11);
    assertThat(later.labelsWithFeatures()).isEqualTo(100);
    assertThat(later.decision().labelsUsed()).isEqualTo(100);
    assertThat(later.decision().championVersion()).isEqualTo(d.version());
    assertThat(later.decision().metrics()).containsKeys("holdout_f1", "champion_holdout_f1");
  }

  @Test
  void aRunOnADataDirectoryLearnsFromItsLabelFiles() throws Exception {
    Setup s = setup("files-model", "review");
    Path data = io.vigil.training.TestData.smdSlice(dir.resolve("smd-files"), "machine-1-8", 1500, 3000);
    List<Integer> epochs = new CopyOnWriteArrayList<>();
    OneOffRun.Result res = OneOffRun.onDirectory(s.config(), s.client(), s.events(), data, Set.of(), 10_000,
        (e, n, loss) -> epochs.add(e), Clock.systemUTC());
    assertThat(res.archive()).isNull();
    assertThat(epochs).containsExactly(1, 2, 3, 4, 5); // the progress bar's ticks
    assertThat(res.vectors()).isEqualTo(4500);
    assertThat(res.labels()).isEqualTo(3000); // every test row is labelled in SMD
    assertThat(res.labelsWithFeatures()).isEqualTo(3000);
    RetrainDecision d = res.decision();
    assertThat(d.labelsUsed()).isEqualTo(3000);
    assertThat(d.outcome()).isEqualTo(RetrainDecision.Outcome.PROPOSED); // no champion, policy review
    ModelVersionInfo v = s.client().byAlias("files-model", "challenger").orElseThrow();
    assertThat(v.version()).isEqualTo(d.version());
    Map<String, String> params = new java.util.HashMap<>();
    s.client().mlflow().getRun(v.runId()).getData().getParamsList().forEach(p -> params.put(p.getKey(), p.getValue()));
    assertThat(params).containsEntry("features_source", "data " + data)
        .containsEntry("labels_source", "label files of " + data)
        .containsEntry("labels_holdout", "900");
  }

  @Test
  void aDriftAlarmOnTheWatchedModelStartsARunAndOtherReportsDoNot() throws Exception {
    Setup s = setup("drift-model", "auto");
    List<float[]> data = rows(800);
    List<RetrainDecision> decisions = new CopyOnWriteArrayList<>();
    try (KafkaProducer<String, byte[]> producer = producer();
        RetrainWatcher watcher = new RetrainWatcher(s.config(), s.client(), s.events(), decisions::add,
            Clock.systemUTC()).start()) {
      publishFeatures(producer, "drift-model.features", data);
      // 120 labels: usable for a run, but fewer than the 300 new labels that start one
      publishLabels(producer, "drift-model.labels", truth(500, 620, "d-"));
      await(() -> watcher.status().labelEventsRead() >= 120 && watcher.status().featuresStored() >= 800,
          Duration.ofSeconds(20), "the labels and the vectors");
      // a report without an alarm, and another model's alarm: not this watcher's trigger
      publishDrift(producer, "drift-model.drift", "drift-model", false);
      publishDrift(producer, "drift-model.drift", "some-other-model", true);
      long checks = watcher.triggerChecks();
      await(() -> watcher.triggerChecks() >= checks + 5, Duration.ofSeconds(20), "trigger checks");
      assertThat(decisions).isEmpty();
      assertThat(watcher.status().driftAlarms()).isZero();

      publishDrift(producer, "drift-model.drift", "drift-model", true);
      await(() -> !decisions.isEmpty(), Duration.ofSeconds(60), "a run on the alarm");
      assertThat(decisions.get(0).trigger()).isEqualTo("drift");
      assertThat(decisions.get(0).labelsUsed()).isEqualTo(120);
      assertThat(watcher.status().driftAlarms()).isEqualTo(1);
    }
  }

  @Test
  void aRunWithTooFewLabelsIsSkippedAndTheDecisionIsRecordedInTheRegistry() throws Exception {
    Setup s = setup("skipped-model", "auto");
    Path data = io.vigil.training.TestData.smdSlice(dir.resolve("smd-few"), "machine-1-8", 1500, 10);
    OneOffRun.Result res = OneOffRun.onDirectory(s.config(), s.client(), s.events(), data, Set.of(), 10_000,
        io.vigil.training.EpochListener.none(), Clock.systemUTC());
    RetrainDecision d = res.decision();
    assertThat(d.outcome()).isEqualTo(RetrainDecision.Outcome.SKIPPED);
    assertThat(d.reason()).startsWith("skipped: ").contains("20 needed");
    assertThat(d.version()).isNull();
    String experiment = s.client().experimentId(s.config().registry().experiment());
    var runs = s.client().mlflow().searchRuns(List.of(experiment), "",
        org.mlflow.api.proto.Service.ViewType.ACTIVE_ONLY, 100).getItems();
    assertThat(runs).anySatisfy(r -> {
      assertThat(r.getInfo().getRunName()).isEqualTo("retrain-1-skipped");
      assertThat(r.getInfo().getStatus()).isEqualTo(org.mlflow.api.proto.Service.RunStatus.FINISHED);
      Map<String, String> tags = new java.util.HashMap<>();
      r.getData().getTagsList().forEach(t -> tags.put(t.getKey(), t.getValue()));
      assertThat(tags).containsEntry(RetrainRun.DECISION_TAG, "SKIPPED")
          .containsEntry("vigil.retrain.reason", d.reason());
    });
    assertThat(s.client().byAlias("skipped-model", "champion")).isEmpty();
  }

  @Test
  void aCandidateIsComparedWithTheChampionAsItIsWhenTheRunEndsNotAsItWasWhenItBegan() throws Exception {
    Setup s = setup("moved-model", "auto");
    Path data = io.vigil.training.TestData.smdSlice(dir.resolve("smd-moved"), "machine-1-8", 1500, 3000);
    // the first run finds no champion and promotes its candidate
    OneOffRun.Result first = OneOffRun.onDirectory(s.config(), s.client(), s.events(), data, Set.of(), 10_000,
        io.vigil.training.EpochListener.none(), Clock.systemUTC());
    assertThat(first.decision().outcome()).isEqualTo(RetrainDecision.Outcome.PROMOTED);
    String promoted = first.decision().version();
    s.client().deleteAlias("moved-model", "champion", "test", "back to no champion");

    // the second run starts without a champion; while it trains, another run's promotion lands. Its
    // candidate is the same model (same data, same seed): compared with the champion as it is now, it
    // ties and is kept (compared with the champion it saw at the start, none, it would replace it)
    OneOffRun.Result second = OneOffRun.onDirectory(s.config(), s.client(), s.events(), data, Set.of(), 10_000,
        (e, n, loss) -> {
          if (e == 1) {
            s.client().setAlias("moved-model", "champion", promoted, "another-run", "promoted meanwhile");
          }
        }, Clock.systemUTC());
    RetrainDecision d = second.decision();
    assertThat(d.outcome()).isEqualTo(RetrainDecision.Outcome.KEPT);
    assertThat(d.championVersion()).isEqualTo(promoted);
    assertThat(d.reason()).contains("the champion moved from none during the run")
        .contains("v" + promoted);
    assertThat(d.metrics()).containsKey("champion_holdout_f1");
    assertThat(s.client().byAlias("moved-model", "champion").orElseThrow().version()).isEqualTo(promoted);
    ModelVersionInfo candidate = s.client().version("moved-model", d.version());
    Map<String, String> runTags = new java.util.HashMap<>();
    s.client().mlflow().getRun(candidate.runId()).getData().getTagsList()
        .forEach(t -> runTags.put(t.getKey(), t.getValue()));
    assertThat(runTags).containsEntry("vigil.retrain.champion_moved", "none -> v" + promoted);
  }

  @Test
  void labelsTriggerOneRunAndABetterCandidateBecomesChampionUnderPolicyAuto() throws Exception {
    Setup s = setup("auto-model", "auto");
    List<float[]> data = rows(800);
    String blind = registerBlindChampion(s, data);
    List<RetrainDecision> decisions = new CopyOnWriteArrayList<>();
    try (KafkaProducer<String, byte[]> producer = producer();
        RetrainWatcher watcher = new RetrainWatcher(s.config(), s.client(), s.events(), decisions::add,
            Clock.systemUTC()).start()) {
      publishFeatures(producer, "auto-model.features", data);
      // a wrong label, later retracted; a duplicate delivery; then the truth for windows 500..799
      List<LabelEvent> burst = new ArrayList<>();
      burst.add(label("wrong-520", 520, true, null));
      burst.add(label("undo-520", 520, false, "wrong-520"));
      burst.addAll(truth(500, 800, "ev-"));
      burst.add(label("ev-600", 600, anomalous(600), null)); // delivered twice
      publishLabels(producer, "auto-model.labels", burst);

      await(() -> !decisions.isEmpty(), Duration.ofSeconds(60), "the first decision");
      RetrainDecision d = decisions.get(0);
      assertThat(d.trigger()).isEqualTo("labels");
      assertThat(d.outcome()).isEqualTo(RetrainDecision.Outcome.PROMOTED);
      assertThat(d.championVersion()).isEqualTo(blind);
      assertThat(d.labelsUsed()).isEqualTo(300);
      assertThat(d.metrics().get("holdout_f1")).isGreaterThan(0.5);
      assertThat(d.metrics().get("champion_holdout_f1")).isEqualTo(0.0);
      RetrainWatcher.Status st = watcher.status();
      assertThat(st.duplicateLabelEvents()).isEqualTo(1);
      assertThat(st.retractions()).isEqualTo(1);
      assertThat(st.lastVersion()).isEqualTo(d.version());

      // the version: lineage tags and the learned-from sample list, without the retracted label
      ModelVersionInfo v = s.client().byAlias("auto-model", "champion").orElseThrow();
      assertThat(v.version()).isEqualTo(d.version());
      assertThat(v.tags()).containsEntry(RetrainRun.LABEL_SNAPSHOT_TAG, d.labelSnapshot())
          .containsEntry(Registration.SNAPSHOT_TAG, d.labelSnapshot())
          .containsEntry(Registration.FEATURE_SET_TAG, FSV);
      List<LabelBook.Label> expected = new ArrayList<>();
      for (int i = 500; i < 800; i++) {
        expected.add(new LabelBook.Label(sampleId(i), anomalous(i), "ev-" + i, 0));
      }
      assertThat(d.labelSnapshot()).isEqualTo(LabelBook.snapshotId(expected));
      JsonNode lineage = lineage(s.client(), v);
      assertThat(lineage.path("labelSnapshot").asText()).isEqualTo(d.labelSnapshot());
      assertThat(lineage.path("labelled").size() + lineage.path("holdout").size()).isEqualTo(300);
      assertThat(lineage.toString()).doesNotContain("wrong-520").contains("ev-520");
      assertThat(lineage.path("labelled").get(0).path("sampleId").asText()).isEqualTo(sampleId(500));
      assertThat(lineage.path("unlabelled").size()).isGreaterThan(400);
      try (ModelArtifact m = ModelArtifacts.load(s.client().download("auto-model", v.version(),
          dir.resolve("fetched-auto")).directory())) {
        assertThat(m.spec().hasHead()).isTrue();
      }

      // the decision on Kafka: registered, alias moved, PROMOTED with metrics by the watcher
      List<ModelEvent> events = modelEvents("auto-model.model-events");
      assertThat(events).anySatisfy(e -> {
        assertThat(e.getType()).isEqualTo(ModelEventType.PROMOTED);
        assertThat(e.getModelVersion()).isEqualTo(d.version());
        assertThat(e.getPreviousVersion()).isEqualTo(blind);
        assertThat(e.getActor()).isEqualTo("retrain-watcher");
        assertThat(e.getMetrics()).containsKeys("holdout_f1", "champion_holdout_f1");
        assertThat(e.getReason()).startsWith("promoted");
      });
      assertThat(events).anySatisfy(e -> assertThat(e.getType()).isEqualTo(ModelEventType.ALIAS_SET));

      // hysteresis: a second burst within the minimum gap starts no run
      long checksBefore = watcher.triggerChecks();
      publishLabels(producer, "auto-model.labels", truth(100, 400, "late-"));
      await(() -> watcher.status().newLabelsSinceLastRun() >= 300, Duration.ofSeconds(20), "the second burst");
      await(() -> watcher.triggerChecks() >= checksBefore + 5, Duration.ofSeconds(20), "trigger checks");
      assertThat(watcher.status().runs()).isEqualTo(1);
      assertThat(decisions).hasSize(1);
    }

    // a restart reads the labels topic again from the start: the 300 labels the champion learned
    // from are not new, the second burst's 300 are (a threshold of 301 keeps this watcher from running)
    WatchConfig w = s.config().watch();
    TrainingConfig restarted = s.config().withWatch(new WatchConfig(w.kafka(),
        new WatchConfig.Triggers(301, true, 0, 3600, 50), w.data(), w.promotion(), w.workDir()));
    try (RetrainWatcher watcher = new RetrainWatcher(restarted, s.client(), s.events(), decisions::add,
        Clock.systemUTC()).start()) {
      await(() -> watcher.status().labelEventsRead() >= 603, Duration.ofSeconds(20), "the labels again");
      long checks = watcher.triggerChecks();
      await(() -> watcher.triggerChecks() >= checks + 5, Duration.ofSeconds(20), "trigger checks");
      assertThat(watcher.status().newLabelsSinceLastRun()).isEqualTo(300);
      assertThat(watcher.status().runs()).isZero();
    }
  }

  @Test
  void underPolicyReviewTheCandidateBecomesChallengerAndThePromotionIsProposed() throws Exception {
    Setup s = setup("review-model", "review");
    List<float[]> data = rows(800);
    String blind = registerBlindChampion(s, data);
    List<RetrainDecision> decisions = new CopyOnWriteArrayList<>();
    try (KafkaProducer<String, byte[]> producer = producer();
        RetrainWatcher watcher = new RetrainWatcher(s.config(), s.client(), s.events(), decisions::add,
            Clock.systemUTC()).start()) {
      publishFeatures(producer, "review-model.features", data);
      publishLabels(producer, "review-model.labels", truth(500, 800, "ev-"));
      await(() -> !decisions.isEmpty(), Duration.ofSeconds(60), "the decision");
      RetrainDecision d = decisions.get(0);
      assertThat(d.outcome()).isEqualTo(RetrainDecision.Outcome.PROPOSED);
      assertThat(s.client().byAlias("review-model", "champion").orElseThrow().version()).isEqualTo(blind);
      assertThat(s.client().byAlias("review-model", "challenger").orElseThrow().version()).isEqualTo(d.version());
      assertThat(modelEvents("review-model.model-events")).anySatisfy(e -> {
        assertThat(e.getType()).isEqualTo(ModelEventType.PROMOTION_PROPOSED);
        assertThat(e.getAlias()).isEqualTo("challenger");
        assertThat(e.getModelVersion()).isEqualTo(d.version());
        assertThat(e.getPreviousVersion()).isEqualTo(blind);
        assertThat(e.getActor()).isEqualTo("retrain-watcher");
      });
      var run = s.client().mlflow().getRun(s.client().version("review-model", d.version()).runId());
      assertThat(run.getData().getTagsList()).anySatisfy(t -> {
        assertThat(t.getKey()).isEqualTo(RetrainRun.DECISION_TAG);
        assertThat(t.getValue()).isEqualTo("PROPOSED");
      });
      assertThat(watcher.status().runs()).isEqualTo(1);
    }
  }
}
