package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Interleaved;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.features.FeatureSet;
import io.vigil.features.OfflineFeatures;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The job on a Flink MiniCluster against a real Kafka broker. */
class FeatureJobIT {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder()
          .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final FeatureSet SET = FeatureSet.smdDefault();

  private static Path data(String name) {
    return Path.of(System.getProperty("vigil.data.dir", "../../shared/data")).resolve(name);
  }

  private static Path demo() {
    return Path.of(System.getProperty("vigil.repo.dir", "..")).resolve("demo/smd");
  }

  private FeatureJobConfig config(String prefix, Path checkpoints) {
    FeatureJobConfig d = FeatureJobConfig.defaults();
    return new FeatureJobConfig(prefix, KAFKA.bootstrapServers(), prefix + ".telemetry",
        prefix + ".features", prefix + ".dlq", prefix + "-group", prefix + "-tx",
        Duration.ofMinutes(5), null, Duration.ofMinutes(2), Duration.ofSeconds(5),
        Duration.ofMillis(400), checkpoints.toUri().toString(), "", d.s3(), 1e15, false, 2);
  }

  private void createTopics(FeatureJobConfig c) throws Exception {
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic(c.telemetryTopic(), 4, (short) 1),
          new NewTopic(c.featuresTopic(), 2, (short) 1), new NewTopic(c.dlqTopic(), 1, (short) 1)))
          .all().get(30, TimeUnit.SECONDS);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 10, ProducerConfig.BATCH_SIZE_CONFIG, 262144),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends every row of the dataset, interleaved in event time; calls {@code midway} halfway. */
  private static long produce(Dataset ds, String topic, Consumer<KafkaProducer<byte[], byte[]>> midway) {
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    long n = 0;
    long total = ds.validate();
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      Interleaved it = new Interleaved(ds.entities());
      while (it.hasNext()) {
        Interleaved.EntityRow r = it.next();
        EntitySeries s = r.series();
        Map<String, Double> m = new HashMap<>();
        for (int i = 0; i < s.metricNames().size(); i++) {
          m.put(s.metricNames().get(i), r.row().values()[i]);
        }
        TelemetrySample sample = TelemetrySample.newBuilder().setEntity(s.entity())
            .setEventTime(r.row().time()).setMetrics(m).setSequence(r.row().sequence()).build();
        ProducerRecord<byte[], byte[]> rec =
            new ProducerRecord<>(topic, s.entity().getBytes(StandardCharsets.UTF_8), serde.encode(sample));
        if (r.row().sequence() % 100 == 7) {
          // some telemetry comes with a W3C trace context, which its feature vector must carry on
          rec.headers().add("traceparent", traceOf(r.row().sequence()).getBytes(StandardCharsets.US_ASCII));
        }
        p.send(rec);
        if (++n == total / 2) {
          midway.accept(p);
        }
      }
      p.flush();
    }
    return n;
  }

  private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic, long atLeast) {
    Map<String, Object> cc = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "check-" + topic + "-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (var c = new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      int emptyPolls = 0;
      while (System.nanoTime() < deadline && (out.size() < atLeast || emptyPolls < 5)) {
        var batch = c.poll(Duration.ofMillis(200));
        emptyPolls = batch.isEmpty() ? emptyPolls + 1 : 0;
        batch.forEach(out::add);
      }
    }
    return out;
  }

  @Test
  void oneSmdMachineGivesOneVectorPerSampleIdenticalToTheOfflinePathAndBadRecordsGoToTheDlq(
      @TempDir Path tmp) throws Exception {
    FeatureJobConfig cfg = config("parity", tmp.resolve("cp"));
    createTopics(cfg);
    Dataset ds = Dataset.open(data("smd"), DatasetOptions.defaults().withEntities(Set.of("machine-1-2")));
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    long sent = produce(ds, cfg.telemetryTopic(), p -> {
      p.send(new ProducerRecord<>(cfg.telemetryTopic(), null, "machine-1-2".getBytes(), "not avro".getBytes(),
          List.of(new RecordHeader("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8)))));
      Map<String, Double> nan = new HashMap<>();
      SET.metrics().forEach(m -> nan.put(m, 0.5));
      nan.put("cpu_r", Double.NaN);
      p.send(new ProducerRecord<>(cfg.telemetryTopic(), "machine-1-2".getBytes(), serde.encode(
          TelemetrySample.newBuilder().setEntity("machine-1-2").setEventTime(Instant.parse("2020-01-01T00:00:00Z"))
              .setMetrics(nan).build())));
      p.send(new ProducerRecord<>(cfg.telemetryTopic(), "machine-x".getBytes(), serde.encode(
          TelemetrySample.newBuilder().setEntity("machine-x").setEventTime(Instant.parse("2020-01-01T00:00:00Z"))
              .setMetrics(Map.of("cpu_r", 0.1)).build())));
    });

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    FeatureJob.configure(env, cfg);
    FeatureJob.build(env, cfg, SET, FeatureJob.kafkaSource(cfg, SET, true), FeatureJob.featureSink(cfg),
        FeatureJob.dlqSink(cfg), null);
    env.execute("parity");

    // the offline path over the same directory, encoded the same way
    AvroSerde<FeatureVector> fv = AvroSerde.of(FeatureVector.class);
    Map<String, byte[]> offline = new HashMap<>();
    new OfflineFeatures(SET, false).compute(ds, v -> offline.put(v.getSampleId(), fv.encode(v)));
    assertThat(offline).hasSize((int) sent);

    List<ConsumerRecord<byte[], byte[]>> online = readCommitted(cfg.featuresTopic(), sent);
    assertThat(online).hasSize((int) sent);
    int identical = 0;
    int traced = 0;
    for (ConsumerRecord<byte[], byte[]> r : online) {
      FeatureVector v = fv.decode(r.value());
      assertThat(r.value()).as("vector %s", v.getSampleId()).isEqualTo(offline.get(v.getSampleId()));
      identical++;
      var parent = r.headers().lastHeader("traceparent");
      if (v.getSequence() % 100 == 7) {
        assertThat(new String(parent.value(), StandardCharsets.US_ASCII)).isEqualTo(traceOf(v.getSequence()));
        traced++;
      } else {
        assertThat(parent).as("vector %s has no trace context", v.getSampleId()).isNull();
      }
    }
    assertThat(identical).isEqualTo(sent);
    assertThat(traced).isPositive();

    List<ConsumerRecord<byte[], byte[]>> dlq = readCommitted(cfg.dlqTopic(), 3);
    AvroSerde<DeadLetter> dl = AvroSerde.of(DeadLetter.class);
    List<String> codes = dlq.stream().map(r -> dl.decode(r.value())).map(DeadLetter::getErrorCode).toList();
    assertThat(codes).containsExactlyInAnyOrder("BAD_HEADER", "NON_FINITE_VALUE", "MISSING_METRIC");
    DeadLetter nanLetter = dlq.stream().map(r -> dl.decode(r.value()))
        .filter(d -> d.getErrorCode().equals("NON_FINITE_VALUE")).findFirst().orElseThrow();
    assertThat(nanLetter.getReason()).contains("cpu_r");
    assertThat(nanLetter.getValue()).isNotNull();
    // the unreadable record's headers (here a trace context) travel with it
    DeadLetter unreadable = dlq.stream().map(r -> dl.decode(r.value()))
        .filter(d -> d.getErrorCode().equals("BAD_HEADER")).findFirst().orElseThrow();
    assertThat(unreadable.getHeaders()).containsOnlyKeys("traceparent");
    assertThat(StandardCharsets.UTF_8.decode(unreadable.getHeaders().get("traceparent")).toString()).isEqualTo(TRACEPARENT);
  }

  static String traceOf(long sequence) {
    return String.format("00-%032x-%016x-01", 1 + sequence, 1 + sequence);
  }

  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  static final AtomicInteger FAILURES = new AtomicInteger();

  /** Fails the job twice mid-stream and once while a checkpoint is being taken. */
  static final class FailureInjector extends RichMapFunction<FeatureRecord, FeatureRecord>
      implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private transient int attempt;
    private transient long seen;
    private transient int snapshots;

    @Override
    public void open(OpenContext ctx) {
      attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
    }

    @Override
    public FeatureRecord map(FeatureRecord v) throws InterruptedException {
      seen++;
      if ((attempt == 0 && seen == 3000) || (attempt == 1 && seen == 2500)) {
        FAILURES.incrementAndGet();
        throw new IllegalStateException("injected failure mid-stream (attempt " + attempt + ")");
      }
      if (attempt == 2 && seen <= 1500) {
        // keep the third attempt running across several checkpoints (every 400 ms), so the
        // failure during a checkpoint happens however fast the machine replays the rest
        Thread.sleep(1);
      }
      return v;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) {
      if (attempt == 2 && ++snapshots == 2) {
        FAILURES.incrementAndGet();
        throw new IllegalStateException("injected failure during checkpoint " + ctx.getCheckpointId());
      }
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) {}
  }

  @Test
  void failuresMidStreamAndDuringACheckpointStillGiveEverySampleExactlyOnce(@TempDir Path tmp)
      throws Exception {
    FeatureJobConfig cfg = config("eos", tmp.resolve("cp"));
    createTopics(cfg);
    Dataset ds = Dataset.open(demo(), DatasetOptions.defaults());
    long sent = produce(ds, cfg.telemetryTopic(), p -> {});

    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 10);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    FeatureJob.configure(env, cfg);
    FeatureJob.build(env, cfg, SET, FeatureJob.kafkaSource(cfg, SET, true), FeatureJob.featureSink(cfg),
        FeatureJob.dlqSink(cfg), null, s -> s.map(new FailureInjector()).name("failure injector"));
    env.execute("exactly-once");

    assertThat(FAILURES.get()).isGreaterThanOrEqualTo(3);
    AvroSerde<FeatureVector> fv = AvroSerde.of(FeatureVector.class);
    List<ConsumerRecord<byte[], byte[]>> out = readCommitted(cfg.featuresTopic(), sent);
    Map<String, Integer> counts = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : out) {
      counts.merge(fv.decode(r.value()).getSampleId(), 1, Integer::sum);
    }
    assertThat(counts).hasSize((int) sent);
    assertThat(counts.values()).allMatch(c -> c == 1);
  }
}
