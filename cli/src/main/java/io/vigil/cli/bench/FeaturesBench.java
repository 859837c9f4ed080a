package io.vigil.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.UserException;
import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Interleaved;
import io.vigil.cli.replay.Replayer;
import io.vigil.embedded.EmbeddedKafka;
import io.vigil.features.FeatureSet;
import io.vigil.features.OfflineFeatures;
import io.vigil.pipeline.DecodedSample;
import io.vigil.pipeline.FeatureJob;
import io.vigil.pipeline.FeatureJobConfig;
import io.vigil.pipeline.FeatureRecord;
import io.vigil.schemas.EntityKind;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.SampleIds;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.FileUtils;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Kafka → feature job → Kafka on this machine, against the same features written as a Flink SQL
 * job with OVER windows (the peer) and two limits of the machine: a plain Kafka consumer reading the
 * same input, and transactional Kafka producers writing as many records of the job's output size
 * as there are samples, with the job's producer settings and commit interval (the output limit:
 * what the job could reach if computing features cost nothing). All run on the same pre-loaded
 * topic and broker in the same run, the two jobs on one local Flink cluster and timed by it (as
 * {@code vigil bench drift} times its jobs); then a paced live phase measures event→feature latency
 * as a read_committed consumer sees it.
 */
@Command(name = "features", mixinStandardHelpOptions = true,
    description = "Samples/s and p99 latency of the feature job vs a Flink SQL OVER-window job, raw Kafka consume"
        + " of its input and raw Kafka produce of its output.")
public final class FeaturesBench implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--quick", description = "The bundled demo excerpt (19,500 samples) instead of all of SMD.")
  boolean quick;

  @Option(names = "--data", paramLabel = "DIR", description = "Dataset directory (default ../shared/data/smd).")
  Path data;

  @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default ${DEFAULT-VALUE}).")
  int parallelism;

  private static final FeatureSet SET = FeatureSet.smdDefault();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path home = Path.of(System.getProperty("vigil.home", "."));
    Path dir = data != null ? data : quick ? home.resolve("demo/smd") : home.resolve("../shared/data/smd").normalize();
    if (!Files.isDirectory(dir)) {
      throw new UserException("no data at " + dir + "; pass --data DIR");
    }
    Dataset ds = Dataset.open(dir, DatasetOptions.defaults());
    Path tmp = Files.createTempDirectory("vigil-bench-features");
    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral();
        BenchCluster flink = BenchCluster.start(2 * parallelism)) {
      cluster = flink;
      try (Admin admin = kafka.admin()) {
        admin.createTopics(List.of(new NewTopic("in", 4, (short) 1), new NewTopic("out.job", 4, (short) 1),
            new NewTopic("out.sql", 4, (short) 1), new NewTopic("live", 4, (short) 1),
            new NewTopic("out.live", 4, (short) 1), new NewTopic("dlq", 1, (short) 1),
            new NewTopic("out.raw", 4, (short) 1))).all().get();
      }
      long n = produceAll(kafka, ds, "in");
      double loadBefore = loadAverage();

      // CPU per sample of each measure: this process's CPU time (broker, Flink, clients) over it.
      // On a shared machine samples/s follow the CPU share we get; CPU per sample does not.
      double cpu = processCpuSeconds();
      double rawRate = n / rawConsumeSeconds(kafka, "in", n);
      double rawCpu = (processCpuSeconds() - cpu) * 1e6 / n;
      List<byte[]> outputRecords = outputRecords(ds, 4096);
      double outputBytes = outputRecords.stream().mapToInt(b -> b.length).average().orElse(0);
      cpu = processCpuSeconds();
      double produceRate = n / rawProduceSeconds(kafka, tmp, "out.raw", outputRecords,
          ds.entities().stream().map(EntitySeries::entity).toList(), n);
      double produceCpu = (processCpuSeconds() - cpu) * 1e6 / n;
      cpu = processCpuSeconds();
      double jobSeconds = runJob(kafka, tmp, "in", "out.job", "job");
      double jobCpu = (processCpuSeconds() - cpu) * 1e6 / n;
      double jobRate = n / jobSeconds;
      cpu = processCpuSeconds();
      double sqlSeconds = runSql(kafka, tmp, "in", "out.sql");
      double sqlCpu = (processCpuSeconds() - cpu) * 1e6 / n;
      double sqlRate = n / sqlSeconds;
      long[] latencies = livePhase(kafka, tmp, ds, quick ? 3000 : 10000, 1000);
      double p50 = percentile(latencies, 0.50);
      double p99 = percentile(latencies, 0.99);
      double loadAfter = loadAverage();

      out.println("vigil bench features" + (quick ? " --quick" : ""));
      out.printf(Locale.ROOT, "conditions: %d cores, Java %s, Flink %s, one local cluster (MiniCluster, jobs submitted over REST, bounded"
              + " runs timed by the cluster from submission to the end) for every job, parallelism %d, embedded Kafka 4.2.0 in"
              + " the same JVM, input 4 partitions, %s (%d entities, %,d samples, %d metrics), feature set %s"
              + " (%d features), exactly-once Kafka sinks, out-of-orderness 1 min, idle partitions after 1 s%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
          org.apache.flink.runtime.util.EnvironmentInformation.getVersion(), parallelism, dir,
          ds.entities().size(), n, SET.metrics().size(), SET.version(), SET.featureNames().size());
      out.printf(Locale.ROOT, "load average (1 min) %.2f before the measures, %.2f after%n", loadBefore, loadAfter);
      out.printf(Locale.ROOT, "%-62s %12s %14s%n", "measure", "samples/s", "CPU us/sample");
      out.printf(Locale.ROOT, "%-62s %,12.0f %14.1f%n", "limit: raw Kafka consume of the same input (bytes only)",
          rawRate, rawCpu);
      out.printf(Locale.ROOT, "%-62s %,12.0f %14.1f%n", String.format(Locale.ROOT,
          "limit: raw Kafka produce of the output (%,.0f B records, EOS)", outputBytes), produceRate, produceCpu);
      out.printf(Locale.ROOT, "%-62s %,12.0f %14.1f%n", "vigil feature job (decode, event time, 307 features, EOS sink)",
          jobRate, jobCpu);
      out.printf(Locale.ROOT, "%-62s %,12.0f %14.1f%n", "peer: Flink SQL OVER windows (last/mean/std/min/max, EOS sink)",
          sqlRate, sqlCpu);
      out.printf(Locale.ROOT, "live phase: %,d samples measured at 1,000/s after a warm-up, checkpoints every 200 ms,"
          + " read_committed: event->feature p50 %.0f ms, p99 %.0f ms%n", latencies.length, p50, p99);
      out.printf(Locale.ROOT, "vs_flink_sql = %.2f, vs_kafka_raw = %.2f, vs_kafka_produce_output = %.2f;"
              + " the output limit is %.2f of the input limit%n", jobRate / sqlRate, jobRate / rawRate,
          jobRate / produceRate, produceRate / rawRate);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("bench", "features");
      json.put("quick", quick);
      json.put("samples", n);
      json.put("job_samples_per_s", Math.round(jobRate));
      json.put("flink_sql_samples_per_s", Math.round(sqlRate));
      json.put("kafka_raw_samples_per_s", Math.round(rawRate));
      json.put("kafka_produce_output_samples_per_s", Math.round(produceRate));
      json.put("output_record_bytes", Math.round(outputBytes));
      json.put("vs_flink_sql", round(jobRate / sqlRate));
      json.put("vs_kafka_raw", round(jobRate / rawRate));
      json.put("vs_kafka_produce_output", round(jobRate / produceRate));
      json.put("p50_ms", Math.round(p50));
      json.put("p99_ms", Math.round(p99));
      json.put("job_cpu_us_per_sample", round(jobCpu));
      json.put("flink_sql_cpu_us_per_sample", round(sqlCpu));
      json.put("kafka_raw_cpu_us_per_sample", round(rawCpu));
      json.put("kafka_produce_output_cpu_us_per_sample", round(produceCpu));
      json.put("load_avg_before", round(loadBefore));
      json.put("load_avg_after", round(loadAfter));
      out.println(new ObjectMapper().writeValueAsString(json));
      out.flush();
    } finally {
      FileUtils.deleteQuietly(tmp.toFile());
    }
    return 0;
  }

  /** CPU seconds used by this process so far (every thread: broker, Flink, clients). */
  private static double processCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
    return new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 5,
        "batch.size", 262144, "compression.type", "lz4"), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static long produceAll(EmbeddedKafka kafka, Dataset ds, String topic) {
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    long n = 0;
    try (KafkaProducer<byte[], byte[]> p = producer(kafka)) {
      Interleaved it = new Interleaved(ds.entities());
      while (it.hasNext()) {
        Interleaved.EntityRow r = it.next();
        p.send(new ProducerRecord<>(topic, r.series().entity().getBytes(StandardCharsets.UTF_8),
            serde.encode(Replayer.toSample(r.series(), r.row(), EntityKind.HOST, Map.of()))));
        n++;
      }
      p.flush();
    }
    return n;
  }

  private static double rawConsumeSeconds(EmbeddedKafka kafka, String topic, long n) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "max.poll.records", 5000, "fetch.min.bytes", 1), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(topic).forEach(p -> tps.add(new TopicPartition(topic, p.partition())));
      c.assign(tps);
      c.seekToBeginning(tps);
      long t0 = System.nanoTime();
      long seen = 0;
      long bytes = 0;
      while (seen < n) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          seen++;
          bytes += r.value().length;
        }
      }
      return (System.nanoTime() - t0) / 1e9 + (bytes == 0 ? 1e-9 : 0);
    }
  }

  /**
   * Encoded feature vectors of the data's first samples (offline path, the job's wire format): the
   * output limit writes these, so its records have the size and the compressibility of the job's.
   */
  private static List<byte[]> outputRecords(Dataset ds, int count) {
    AvroSerde<FeatureVector> serde = AvroSerde.of(FeatureVector.class);
    OfflineFeatures offline = new OfflineFeatures(SET, false);
    List<byte[]> records = new ArrayList<>(count);
    for (EntitySeries series : ds.entities()) {
      Iterator<FeatureVector> it = offline.vectors(series);
      for (int i = 0; i < count / ds.entities().size() + 1 && it.hasNext() && records.size() < count; i++) {
        records.add(serde.encode(it.next()));
      }
    }
    return records;
  }

  /**
   * The output limit: {@code parallelism} transactional producers, with the feature sink's producer
   * settings, each writing its share of {@code n} records (cycling through {@code records}, keyed by
   * the data's entity names) and committing every 2 s, the job runs' checkpoint interval. Seconds until the
   * last transaction is committed.
   */
  private double rawProduceSeconds(EmbeddedKafka kafka, Path tmp, String topic, List<byte[]> records,
      List<String> entities, long n) throws Exception {
    FeatureJobConfig cfg = config(kafka, tmp, "in", topic, "raw", Duration.ofSeconds(2));
    long commitEvery = cfg.checkpointInterval().toNanos();
    // the job's keys (its output is keyed by entity), so the records spread over partitions alike
    List<byte[]> keys = entities.stream().map(e -> e.getBytes(StandardCharsets.UTF_8)).toList();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    long t0 = System.nanoTime();
    for (int w = 0; w < parallelism; w++) {
      int writer = w;
      Thread t = new Thread(() -> {
        Properties props = FeatureJob.featureProducerProperties(cfg);
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("transactional.id", cfg.transactionalIdPrefix() + "-" + writer);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(),
            new ByteArraySerializer())) {
          p.initTransactions();
          p.beginTransaction();
          long lastCommit = System.nanoTime();
          for (long i = writer; i < n; i += parallelism) {
            byte[] value = records.get((int) (i % records.size()));
            byte[] key = keys.get((int) (i % keys.size()));
            p.send(new ProducerRecord<>(topic, key, value));
            if (System.nanoTime() - lastCommit >= commitEvery) {
              p.commitTransaction();
              p.beginTransaction();
              lastCommit = System.nanoTime();
            }
          }
          p.commitTransaction();
        } catch (RuntimeException e) {
          errors.add(e);
        }
      }, "bench-output-producer-" + w);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("output limit failed", errors.get(0));
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private FeatureJobConfig config(EmbeddedKafka kafka, Path tmp, String in, String out, String name, Duration cp) {
    FeatureJobConfig d = FeatureJobConfig.defaults();
    return new FeatureJobConfig(name, kafka.bootstrapServers(), in, out, "dlq", name + "-group", name + "-tx",
        Duration.ofMinutes(5), null, d.outOfOrderness(), Duration.ofSeconds(1), cp,
        tmp.resolve(name).toUri().toString(), "", d.s3(), 1e15, false, parallelism);
  }

  /** The bench's one Flink cluster (see {@link BenchCluster}): the job, the peer and the live phase. */
  private BenchCluster cluster;

  private StreamExecutionEnvironment env() {
    StreamExecutionEnvironment env = cluster.environment();
    env.setParallelism(parallelism);
    return env;
  }

  private double runJob(EmbeddedKafka kafka, Path tmp, String in, String out, String name) throws Exception {
    FeatureJobConfig cfg = config(kafka, tmp, in, out, name, Duration.ofSeconds(2));
    StreamExecutionEnvironment env = env();
    FeatureJob.configure(env, cfg);
    FeatureJob.build(env, cfg, SET, FeatureJob.kafkaSource(cfg, SET, true), FeatureJob.featureSink(cfg),
        FeatureJob.dlqSink(cfg), null);
    return BenchCluster.seconds(env.execute(name));
  }

  /** The same input as a table, features as OVER-window aggregates per metric, the same Kafka sink. */
  private double runSql(EmbeddedKafka kafka, Path tmp, String in, String out) throws Exception {
    FeatureJobConfig cfg = config(kafka, tmp, in, out, "sql", Duration.ofSeconds(2));
    StreamExecutionEnvironment env = env();
    FeatureJob.configure(env, cfg);
    StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
    List<String> metrics = SET.metrics();
    String[] names = new String[metrics.size() + 2];
    TypeInformation<?>[] types = new TypeInformation<?>[metrics.size() + 2];
    names[0] = "entity";
    types[0] = Types.STRING;
    names[1] = "ts";
    types[1] = Types.LONG;
    for (int i = 0; i < metrics.size(); i++) {
      names[i + 2] = "m" + i;
      types[i + 2] = Types.DOUBLE;
    }
    KafkaSource<DecodedSample> source = FeatureJob.kafkaSource(cfg, SET, true);
    DataStream<Row> rows = env.fromSource(source, WatermarkStrategy.noWatermarks(), "telemetry")
        .filter(s -> !s.failed())
        .map(s -> {
          Object[] f = new Object[s.values.length + 2];
          f[0] = s.entity;
          f[1] = s.time;
          for (int i = 0; i < s.values.length; i++) {
            f[i + 2] = s.values[i];
          }
          return Row.of(f);
        }).returns(Types.ROW_NAMED(names, types));
    Table t = tEnv.fromDataStream(rows, Schema.newBuilder()
        .columnByExpression("rt", "TO_TIMESTAMP_LTZ(ts, 3)")
        .watermark("rt", "rt - INTERVAL '60' SECOND").build());
    tEnv.createTemporaryView("telemetry", t);
    StringBuilder sql = new StringBuilder("SELECT entity, ts");
    for (int i = 0; i < metrics.size(); i++) {
      String m = "m" + i;
      sql.append(", ").append(m).append(", AVG(").append(m).append(") OVER w, STDDEV_POP(").append(m)
          .append(") OVER w, MIN(").append(m).append(") OVER w, MAX(").append(m).append(") OVER w");
    }
    sql.append(" FROM telemetry WINDOW w AS (PARTITION BY entity ORDER BY rt ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)");
    Table result = tEnv.sqlQuery(sql.toString());
    String version = SET.version();
    tEnv.toDataStream(result)
        .map(r -> {
          int width = r.getArity() - 2;
          List<Double> values = new ArrayList<>(width);
          for (int i = 0; i < width; i++) {
            Object v = r.getField(i + 2);
            values.add(v == null ? 0.0 : ((Number) v).doubleValue());
          }
          String entity = (String) r.getField(0);
          Instant end = Instant.ofEpochMilli((Long) r.getField(1));
          return FeatureRecord.of(FeatureVector.newBuilder().setSampleId(SampleIds.of(entity, end, version))
              .setEntity(entity).setWindowStart(end).setWindowEnd(end).setFeatureSetId("sql-peer")
              .setFeatureSetVersion(version).setNames(List.of()).setValues(values).build(), null, null);
        }).returns(TypeInformation.of(FeatureRecord.class))
        .sinkTo(FeatureJob.featureSink(cfg));
    return BenchCluster.seconds(env.execute("sql-peer"));
  }

  /** Streams {@code count} samples at {@code rate}/s through a running job; returns latencies in ms. */
  private long[] livePhase(EmbeddedKafka kafka, Path tmp, Dataset ds, int count, int rate) throws Exception {
    FeatureJobConfig cfg = config(kafka, tmp, "live", "out.live", "live", Duration.ofMillis(200));
    StreamExecutionEnvironment env = env();
    FeatureJob.configure(env, cfg);
    FeatureJob.build(env, cfg, SET, FeatureJob.kafkaSource(cfg, SET, false), FeatureJob.featureSink(cfg),
        FeatureJob.dlqSink(cfg), null);
    JobClient job = env.executeAsync("live");
    long up = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (job.getJobStatus().get() != org.apache.flink.api.common.JobStatus.RUNNING && System.nanoTime() < up) {
      Thread.onSpinWait();
    }
    int warmup = Math.min(2000, count / 4);
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    List<Long> latencies = new ArrayList<>();
    Thread reader = new Thread(() -> {
      AvroSerde<FeatureVector> serde = AvroSerde.of(FeatureVector.class);
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
          "isolation.level", "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> tps = new ArrayList<>();
        c.partitionsFor("out.live").forEach(p -> tps.add(new TopicPartition("out.live", p.partition())));
        c.assign(tps);
        c.seekToBeginning(tps);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (latencies.size() < count - warmup - 3 * ds.entities().size() && System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
            long now = System.nanoTime();
            Long sent = sentAt.get(serde.decode(r.value()).getSampleId());
            if (sent != null) {
              synchronized (latencies) {
                latencies.add((now - sent) / 1_000_000);
              }
            }
          }
        }
      }
    }, "bench-reader");
    reader.start();
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "linger.ms", 0), new ByteArraySerializer(), new ByteArraySerializer())) {
      Interleaved it = new Interleaved(ds.entities());
      long t0 = System.nanoTime();
      for (int i = 0; i < count && it.hasNext(); i++) {
        long due = t0 + (long) (i * 1e9 / rate);
        while (System.nanoTime() < due) {
          Thread.onSpinWait();
        }
        Interleaved.EntityRow r = it.next();
        TelemetrySample s = Replayer.toSample(r.series(), r.row(), EntityKind.HOST, Map.of());
        if (i >= warmup) {
          sentAt.put(SampleIds.of(s.getEntity(), s.getEventTime(), SET.version()), System.nanoTime());
        }
        p.send(new ProducerRecord<>("live", s.getEntity().getBytes(StandardCharsets.UTF_8), serde.encode(s)));
      }
      p.flush();
    }
    reader.join(TimeUnit.SECONDS.toMillis(70));
    job.cancel().get(30, TimeUnit.SECONDS);
    synchronized (latencies) {
      return latencies.stream().mapToLong(Long::longValue).toArray();
    }
  }

  private static double percentile(long[] values, double q) {
    if (values.length == 0) {
      return Double.NaN;
    }
    long[] v = values.clone();
    Arrays.sort(v);
    return v[(int) Math.min(v.length - 1, Math.ceil(q * v.length) - 1)];
  }
}
