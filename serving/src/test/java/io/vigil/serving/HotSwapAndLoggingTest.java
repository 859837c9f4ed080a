package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vigil.embedded.junit.Await;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.registry.client.KafkaModelEventPublisher;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.schemas.topics.TopicInstaller;
import io.vigil.schemas.topics.TopicNames;
import io.vigil.schemas.wire.AvroSerde;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models from the embedded registry (real S3 server), model events and predictions on a real
 * Kafka broker: hot swap under load, refused broken versions, the prediction log, shadow scoring,
 * and serving on while Kafka is down.
 */
class HotSwapAndLoggingTest {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @TempDir static Path dir;

  static final int COLS = TestRegistry.FEATURES.size();
  static KafkaModelEventPublisher events;
  static TestRegistry registry;

  @BeforeAll
  static void start() throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
      new TopicInstaller(admin, TopicNames.defaults(), (short) 1).ensureAll();
    }
    events = KafkaModelEventPublisher.create(KAFKA.bootstrapServers(), "vigil.model-events");
    registry = new TestRegistry(dir.resolve("registry"), S3.s3(), events);
  }

  @AfterAll
  static void stop() {
    registry.close();
    events.close();
  }

  static ServingConfig kafkaConfig(String model, String shadowAlias, String bootstrap, int logBuffer) {
    ServingConfig c = TestServing.config(model, dir.resolve("work-" + model), true);
    ServingConfig.ModelSelection m = c.model();
    return c.withModel(new ServingConfig.ModelSelection(model, "champion", null, shadowAlias, 3600,
            m.workDir(), 2, 10))
        .withKafka(new ServingConfig.Kafka(true, bootstrap, "vigil.predictions", "vigil.model-events", logBuffer));
  }

  /** Clients that call ModelInfer in a loop until stopped, recording versions and failures. */
  static final class Load implements AutoCloseable {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger ok = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final Map<String, AtomicInteger> byVersion = new ConcurrentHashMap<>();
    final List<List<String>> sequences = new ArrayList<>();
    final ExecutorService pool;
    final List<Future<?>> running = new ArrayList<>();

    Load(ManagedChannel channel, String model, int clients) {
      pool = Executors.newFixedThreadPool(clients);
      var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
      for (int c = 0; c < clients; c++) {
        List<String> seq = Collections.synchronizedList(new ArrayList<>());
        sequences.add(seq);
        int client = c;
        running.add(pool.submit(() -> {
          int i = 0;
          while (!stop.get()) {
            try {
              ModelInferResponse r = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                  .modelInfer(Requests.typed(model, Requests.rows(1, COLS, client * 100_000L + i++), 1, COLS));
              ok.incrementAndGet();
              byVersion.computeIfAbsent(r.getModelVersion(), v -> new AtomicInteger()).incrementAndGet();
              if (seq.isEmpty() || !seq.get(seq.size() - 1).equals(r.getModelVersion())) {
                seq.add(r.getModelVersion());
              }
            } catch (StatusRuntimeException e) {
              failures.add(e.getStatus().toString());
            }
          }
        }));
      }
    }

    int count(String version) {
      return byVersion.getOrDefault(version, new AtomicInteger()).get();
    }

    @Override
    public void close() throws ExecutionException, TimeoutException {
      stop.set(true);
      try {
        for (Future<?> f : running) {
          f.get(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while stopping the clients", e);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void swapsToTheNewVersionUnderLoadWithoutAFailedRequestAndRefusesBrokenVersions() throws Exception {
    String model = "swap-model";
    registry.register(model, 1);
    registry.register(model, 2);
    registry.client.setAlias(model, "champion", "1", "test", "first");
    ServingConfig cfg = kafkaConfig(model, null, KAFKA.bootstrapServers(), 4096);
    try (ServingServer server = ServingServer.start(cfg, TestServing.inProcess("swap",
        new RegistryModelSource(registry.client), new RecordingSink()))) {
      ManagedChannel ch = InProcessChannelBuilder.forName("swap").build();
      try (Load load = new Load(ch, model, 4)) {
        Await.until(Duration.ofSeconds(20), "requests on version 1", () -> load.count("1") > 100);

        // the alias moves: the model event triggers the swap
        registry.client.setAlias(model, "champion", "2", "test", "better");
        Await.until(Duration.ofSeconds(30), "answers from version 2", () -> load.count("2") > 100);
        assertThat(load.failures).isEmpty();
        assertThat(server.models().current(ModelManager.Role.PRIMARY).orElseThrow().id().version()).isEqualTo("2");

        // a version whose parameters are garbage (its checksum matches what was uploaded)
        ModelVersionInfo broken = registry.register(model, 3, true);
        registry.client.setAlias(model, "champion", broken.version(), "test", "broken");
        Await.until(Duration.ofSeconds(30), "the broken version to be refused",
            () -> server.models().lastFailure().map(f -> f.version().equals("3")).orElse(false));
        assertThat(server.models().lastFailure().orElseThrow().reason()).contains("cannot load the parameters");

        // a version whose artifacts were changed after registration: the checksum refuses it
        ModelVersionInfo tampered = registry.register(model, 4);
        overwrite(tampered, "model-0000.params", new byte[] {1, 2, 3});
        registry.client.setAlias(model, "champion", tampered.version(), "test", "tampered");
        Await.until(Duration.ofSeconds(30), "the tampered version to be refused",
            () -> server.models().lastFailure().map(f -> f.version().equals("4")).orElse(false));
        assertThat(server.models().lastFailure().orElseThrow().reason()).contains("SHA-256");

        int before = load.count("2");
        Await.until(Duration.ofSeconds(20), "more answers from version 2", () -> load.count("2") > before + 100);
        assertThat(server.models().current(ModelManager.Role.PRIMARY).orElseThrow().id().version()).isEqualTo("2");
        assertThat(HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.newBuilder()
            .setService(ServingServer.MODEL_UPDATES_HEALTH).build()).getStatus())
            .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
        assertThat(HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.newBuilder().build()).getStatus())
            .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(server.metrics().modelLoads("primary", false)).isEqualTo(2);
        assertThat(load.failures).as("failed requests").isEmpty();
        for (List<String> seq : load.sequences) {
          assertThat(List.copyOf(seq)).as("each client saw version 1, then only version 2")
              .isIn(List.of("1", "2"), List.of("2"), List.of("1"));
        }
      } finally {
        ch.shutdownNow();
      }
    }
  }

  /** One answer: when the call was sent and answered ({@link System#nanoTime()}), and by which version. */
  record Answer(long sent, long answered, String version) {}

  @Test
  void movesTheAliasTenTimesUnderContinuousLoadOverNettyAndEveryAnswerComesFromALiveVersion() throws Exception {
    String model = "ten-swaps";
    List<String> good = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      good.add(registry.register(model, 100 + i).version());
    }
    String corrupt = registry.register(model, 200, true).version();
    Map<String, Long> aliasSet = new ConcurrentHashMap<>();
    Map<String, Long> seenLive = new ConcurrentHashMap<>();
    aliasSet.put(good.get(0), System.nanoTime());
    registry.client.setAlias(model, "champion", good.get(0), "test", "v0");
    ServingConfig cfg = kafkaConfig(model, null, KAFKA.bootstrapServers(), 4096);
    try (ServingServer server = ServingServer.start(cfg, new ServingServer.Parts(
        new RegistryModelSource(registry.client), new RecordingSink(), null, null, null))) {
      seenLive.put(good.get(0), System.nanoTime());
      ManagedChannel ch = io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
          io.grpc.InsecureChannelCredentials.create()).build();
      AtomicBoolean stop = new AtomicBoolean();
      List<List<Answer>> answers = new ArrayList<>();
      List<String> failures = new CopyOnWriteArrayList<>();
      Map<String, AtomicInteger> byVersion = new ConcurrentHashMap<>();
      int clients = 4;
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      List<Future<?>> running = new ArrayList<>();
      try {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(ch);
        for (int c = 0; c < clients; c++) {
          List<Answer> mine = new ArrayList<>();
          answers.add(mine);
          int client = c;
          running.add(pool.submit(() -> {
            int i = 0;
            while (!stop.get()) {
              long sent = System.nanoTime();
              try {
                ModelInferResponse r = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                    .modelInfer(Requests.typed(model, Requests.rows(1, COLS, client * 1_000_000L + i++), 1, COLS));
                mine.add(new Answer(sent, System.nanoTime(), r.getModelVersion()));
                byVersion.computeIfAbsent(r.getModelVersion(), v -> new AtomicInteger()).incrementAndGet();
              } catch (StatusRuntimeException e) {
                failures.add(e.getStatus().toString());
              }
            }
          }));
        }
        java.util.function.ToIntFunction<String> count = v -> byVersion.getOrDefault(v, new AtomicInteger()).get();
        Await.until(Duration.ofSeconds(20), "answers from the first version", () -> count.applyAsInt(good.get(0)) > 50);
        for (int move = 1; move <= 10; move++) {
          String v = good.get(move);
          if (move == 5) {
            // a version whose parameters are garbage is refused while the current one serves on
            registry.client.setAlias(model, "champion", corrupt, "test", "corrupt");
            Await.until(Duration.ofSeconds(30), "the corrupt version to be refused",
                () -> server.models().lastFailure().map(f -> f.version().equals(corrupt)).orElse(false));
            String before = good.get(move - 1);
            int n = count.applyAsInt(before);
            Await.until(Duration.ofSeconds(20), "answers after the refusal", () -> count.applyAsInt(before) > n + 20);
          }
          aliasSet.put(v, System.nanoTime());
          registry.client.setAlias(model, "champion", v, "test", "move " + move);
          Await.until(Duration.ofSeconds(30), "the server to serve version " + v,
              () -> server.models().current(ModelManager.Role.PRIMARY).map(m -> m.id().version().equals(v)).orElse(false));
          seenLive.put(v, System.nanoTime());
          Await.until(Duration.ofSeconds(20), "answers from version " + v, () -> count.applyAsInt(v) > 50);
        }
      } finally {
        stop.set(true);
        for (Future<?> f : running) {
          f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      assertThat(failures).as("failed requests").isEmpty();
      assertThat(server.metrics().modelLoads("primary", true)).as("the first load and ten swaps").isEqualTo(11);
      assertThat(server.metrics().modelLoads("primary", false)).isEqualTo(1);
      assertThat(byVersion).as("the corrupt version never answered").doesNotContainKey(corrupt);
      assertThat(byVersion.keySet()).containsExactlyInAnyOrderElementsOf(good);
      int checked = 0;
      for (List<Answer> mine : answers) {
        int lastStep = 0;
        for (Answer a : mine) {
          int step = good.indexOf(a.version());
          assertThat(step).as("answer from a registered good version: %s", a).isNotNegative();
          assertThat(aliasSet.get(a.version())).as("version %s answered before the alias pointed at it", a.version())
              .isLessThanOrEqualTo(a.answered());
          if (step + 1 < good.size()) {
            assertThat(a.sent()).as("version %s answered a call sent after it had been replaced", a.version())
                .isLessThanOrEqualTo(seenLive.get(good.get(step + 1)));
          }
          assertThat(step).as("a client never goes back to an older version").isGreaterThanOrEqualTo(lastStep);
          lastStep = step;
          checked++;
        }
      }
      assertThat(checked).isGreaterThan(11 * 50);
    }
  }

  @Test
  void followsTheAliasByPollingWithoutKafkaAndServesAPinnedVersion() throws Exception {
    String model = "poll-model";
    registry.register(model, 31);
    registry.register(model, 32);
    registry.client.setAlias(model, "champion", "1", "test", null);
    ServingConfig c = TestServing.config(model, dir.resolve("work-poll"), true);
    ServingConfig polled = c.withModel(new ServingConfig.ModelSelection(model, "champion", null, null, 1,
        c.model().workDir(), 1, 5));
    ServingConfig pinned = c.withModel(new ServingConfig.ModelSelection(model, "champion", "1", null, 1,
        dir.resolve("work-pinned").toString(), 1, 5));
    try (ServingServer following = ServingServer.start(polled, TestServing.inProcess("poll",
            new RegistryModelSource(registry.client), new RecordingSink()));
        ServingServer fixed = ServingServer.start(pinned, TestServing.inProcess("pinned",
            new RegistryModelSource(registry.client), new RecordingSink()))) {
      assertThat(following.models().current(ModelManager.Role.PRIMARY).orElseThrow().id().version()).isEqualTo("1");
      registry.client.setAlias(model, "champion", "2", "test", null);
      Await.until(Duration.ofSeconds(20), "the poll to find version 2",
          () -> following.models().current(ModelManager.Role.PRIMARY).map(m -> m.id().version().equals("2")).orElse(false));
      fixed.models().refresh();
      LoadedModel m = fixed.models().current(ModelManager.Role.PRIMARY).orElseThrow();
      assertThat(m.id()).isEqualTo(new ModelId(model, "1", null));
    }
  }

  static void overwrite(ModelVersionInfo v, String file, byte[] content) throws Exception {
    String rest = v.source().substring("s3://".length());
    String bucket = rest.substring(0, rest.indexOf('/'));
    String key = rest.substring(rest.indexOf('/') + 1) + "/" + file;
    MinioClient minio = MinioClient.builder().endpoint(S3.s3().endpoint())
        .credentials(S3.s3().accessKey(), S3.s3().secretKey()).region("us-east-1").build();
    minio.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
        .stream(new ByteArrayInputStream(content), content.length, -1).build());
  }

  @Test
  void logsEveryAnswerAndTheChallengersShadowScoresOnKafka() throws Exception {
    String model = "log-model";
    registry.register(model, 11);
    registry.register(model, 12);
    registry.client.setAlias(model, "champion", "1", "test", null);
    registry.client.setAlias(model, "challenger", "2", "test", null);
    ServingConfig cfg = kafkaConfig(model, "challenger", KAFKA.bootstrapServers(), 4096);
    List<String> ids = new ArrayList<>();
    Map<String, Integer> traced = new HashMap<>();
    try (ServingServer server = ServingServer.start(cfg, new ServingServer.Parts(
        new RegistryModelSource(registry.client), null, io.grpc.inprocess.InProcessServerBuilder.forName("log"), null, null))) {
      assertThat(server.models().current(ModelManager.Role.SHADOW)).isPresent();
      ManagedChannel ch = InProcessChannelBuilder.forName("log").build();
      try {
        var plain = GRPCInferenceServiceGrpc.newBlockingStub(ch);
        for (int i = 0; i < 20; i++) {
          String a = String.format("s-%032x", 2L * i);
          String b = String.format("s-%032x", 2L * i + 1);
          ids.add(a);
          ids.add(b);
          // every third call carries a W3C trace context (OpenTelemetry's gRPC metadata); call 1 a malformed one
          var stub = plain;
          if (i % 3 == 0 || i == 1) {
            Metadata md = new Metadata();
            md.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), i == 1 ? "00-not-a-trace" : traceparent(i));
            md.put(Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER), "vigil=" + i);
            stub = plain.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
            if (i != 1) {
              traced.put(a, i);
              traced.put(b, i);
            }
          }
          ModelInferResponse r = stub.modelInfer(Requests.withSampleIds(
              Requests.typed(model, Requests.rows(2, COLS, i), 2, COLS), "host-" + i, a, b));
          assertThat(r.getModelVersion()).as("the shadow is never returned").isEqualTo("1");
        }
      } finally {
        ch.shutdownNow();
      }
    }
    List<ConsumerRecord<String, Prediction>> records = consumeRecords(model, 80);
    List<Prediction> logged = records.stream().map(ConsumerRecord::value).toList();
    // the caller's trace context travels with its predictions (the shadow's too) as Kafka headers
    assertThat(records).allSatisfy(r -> {
      Integer call = traced.get(r.value().getSampleId());
      Header parent = r.headers().lastHeader("traceparent");
      Header state = r.headers().lastHeader("tracestate");
      if (call == null) {
        assertThat(parent).as("no (valid) trace context, no header: " + r.value().getSampleId()).isNull();
        assertThat(state).isNull();
      } else {
        assertThat(new String(parent.value(), StandardCharsets.US_ASCII)).isEqualTo(traceparent(call));
        assertThat(new String(state.value(), StandardCharsets.US_ASCII)).isEqualTo("vigil=" + call);
      }
    });
    List<Prediction> primary = logged.stream().filter(p -> !p.getShadow()).toList();
    List<Prediction> shadow = logged.stream().filter(Prediction::getShadow).toList();
    assertThat(primary).extracting(Prediction::getSampleId).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(shadow).extracting(Prediction::getSampleId).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(primary).allSatisfy(p -> {
      assertThat(p.getModelVersion()).isEqualTo("1");
      assertThat(p.getModelAlias()).isEqualTo("champion");
      assertThat(p.getEntity()).startsWith("host-");
      // per raw metric, as the Prediction contract has it (the features cpu.last, ... fold into cpu, ...)
      assertThat(p.getAttributions()).isNotEmpty();
      assertThat(p.getAttributions().keySet()).isSubsetOf("cpu", "mem", "disk", "net");
      assertThat(p.getFeatureSetVersion()).isEqualTo("fs-test-1");
      assertThat(p.getThreshold()).isEqualTo(2.5);
    });
    assertThat(shadow).allSatisfy(p -> {
      assertThat(p.getModelVersion()).isEqualTo("2");
      assertThat(p.getModelAlias()).isEqualTo("challenger");
    });
  }

  static String traceparent(int call) {
    return String.format("00-%032x-%016x-01", 1000L + call, 7L + call);
  }

  static List<Prediction> consume(String model, int atLeast) {
    return consumeRecords(model, atLeast).stream().map(ConsumerRecord::value).toList();
  }

  static List<ConsumerRecord<String, Prediction>> consumeRecords(String model, int atLeast) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + model + "-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, Prediction>> out = new ArrayList<>();
    try (KafkaConsumer<String, Prediction> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
        AvroSerde.of(Prediction.class).deserializer())) {
      consumer.subscribe(List.of("vigil.predictions"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < atLeast && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, Prediction> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value().getModelName().equals(model)) {
            assertThat(r.key()).isEqualTo(r.value().getEntity());
            out.add(r);
          }
        }
      }
    }
    return out;
  }

  @Test
  void servesOnWhileKafkaIsDownAndCountsTheDroppedPredictions() throws Exception {
    String model = "no-kafka-model";
    registry.register(model, 21);
    registry.client.setAlias(model, "champion", "1", "test", null);
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    ServingConfig cfg = kafkaConfig(model, null, "127.0.0.1:" + deadPort, 8);
    try (ServingServer server = ServingServer.start(cfg, new ServingServer.Parts(
        new RegistryModelSource(registry.client), null, io.grpc.inprocess.InProcessServerBuilder.forName("nokafka"), null, null))) {
      ManagedChannel ch = InProcessChannelBuilder.forName("nokafka").build();
      try {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(ch);
        long t0 = System.nanoTime();
        for (int i = 0; i < 200; i++) {
          ModelInferResponse r = stub.withDeadlineAfter(5, TimeUnit.SECONDS)
              .modelInfer(Requests.typed(model, Requests.rows(1, COLS, i), 1, COLS));
          assertThat(r.getModelVersion()).isEqualTo("1");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("never waits for Kafka").isLessThan(Duration.ofSeconds(10));
        assertThat(server.metrics().predictionsDropped()).isGreaterThanOrEqualTo(150);
        assertThat(server.metrics().predictionsLogged()).isZero();
      } finally {
        ch.shutdownNow();
      }
    }
  }

}
