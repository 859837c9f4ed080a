package io.vigil.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.UserException;
import io.vigil.cli.replay.Replayer;
import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.Interleaved;
import io.vigil.datasets.Split;
import io.vigil.drift.DriftInput;
import io.vigil.drift.DriftJob;
import io.vigil.drift.DriftJobConfig;
import io.vigil.drift.FeatureMetrics;
import io.vigil.drift.ReferenceModel;
import io.vigil.drift.ReferenceProfile;
import io.vigil.drift.ReferenceSource;
import io.vigil.drift.WindowAccumulator;
import io.vigil.drift.WindowEvaluator;
import io.vigil.drift.stats.DriftPolicy;
import io.vigil.drift.stats.MonitorState;
import io.vigil.embedded.EmbeddedKafka;
import io.vigil.features.FeatureSet;
import io.vigil.features.OfflineFeatures;
import io.vigil.pipeline.FeatureJob;
import io.vigil.pipeline.FeatureJobConfig;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.DriftReport;
import io.vigil.schemas.EntityKind;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.commons.io.FileUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
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
 * The drift job against the feature job it sits behind, in the same run: the feature job turns the
 * dataset's test rows into vectors (its samples/s is the peer), a scorer turns those vectors into
 * predictions, then the drift job reads both topics and writes reports (its samples/s, one sample =
 * a vector and its prediction). Both are bounded Kafka → Flink → Kafka runs with exactly-once
 * sinks, timed from submission to the end of the job, on one local cluster that runs every job
 * (as the product's {@code vigil up} does). Each job runs {@code --warmups} + 1 times, on fresh
 * topics: the feature job's runs first, then the drift job's over their outputs. The first run of
 * each is its first in this JVM; the last (the figures) is warmed up, as the jobs run in
 * production, for days. Then a loop times one window's drift
 * computation for the 38 SMD metrics (307 features and the score): {@code window_compute_ms}.
 */
@Command(name = "drift", mixinStandardHelpOptions = true,
    description = "Samples/s of the drift job vs the feature job in front of it, and per-window drift computation time.")
public final class DriftBench implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--quick", description = "The bundled demo excerpt (3 machines) instead of all of SMD.")
  boolean quick;

  @Option(names = "--data", paramLabel = "DIR", description = "Dataset directory (default ../shared/data/smd).")
  Path data;

  @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default ${DEFAULT-VALUE}).")
  int parallelism;

  @Option(names = "--warmups", defaultValue = "1",
      description = "Rounds before the measured one, each on fresh topics; round 0 is each job's first run in this JVM (default ${DEFAULT-VALUE}).")
  int warmups;

  @Option(names = "--repeat", defaultValue = "1",
      description = "Copies of the test split replayed in one round, each later in event time than the one before"
          + " (longer runs: start-up and first compilations weigh less; default ${DEFAULT-VALUE}).")
  int repeat;

  private static final FeatureSet SET = FeatureSet.smdDefault();
  private static final String MODEL = "bench-model";

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path home = Path.of(System.getProperty("vigil.home", "."));
    Path dir = data != null ? data : quick ? home.resolve("demo/smd") : home.resolve("../shared/data/smd").normalize();
    if (!Files.isDirectory(dir)) {
      throw new UserException("no data at " + dir + "; pass --data DIR");
    }
    if (repeat < 1) {
      throw new UserException("--repeat must be 1 or more");
    }
    if (warmups < 0) {
      throw new UserException("--warmups must be 0 or more");
    }
    Dataset train = Dataset.open(dir, DatasetOptions.defaults().withSplit(Split.TRAIN));
    Dataset test = Dataset.open(dir, DatasetOptions.defaults().withSplit(Split.TEST));
    Reference ref = reference(train);
    Path tmp = Files.createTempDirectory("vigil-bench-drift");
    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral();
        BenchCluster flink = BenchCluster.start(2 * parallelism)) {
      cluster = flink;
      try (Admin admin = kafka.admin()) {
        admin.createTopics(List.of(new NewTopic("telemetry", 4, (short) 1), new NewTopic("dlq", 1, (short) 1))).all()
            .get();
      }
      long n = produceTelemetry(kafka, test, repeat);
      // Round 0 is each job's first run in this JVM: it pays for class loading and JIT compilation of
      // its code in its timed run. The later rounds measure the jobs as they run for days: warmed up.
      // All feature-job rounds first, then all drift-job rounds: alternating the two jobs made the JIT
      // respecialise the code they share (Flink's network stack and serializers, Kafka's clients) to
      // each in turn, so neither was ever warmed up on its own work.
      List<FeatureRound> featureRounds = new ArrayList<>();
      for (int r = 0; r <= warmups; r++) {
        featureRounds.add(featureRound(kafka, tmp, ref, n, r));
      }
      List<Round> rounds = new ArrayList<>();
      for (FeatureRound f : featureRounds) {
        rounds.add(driftRound(kafka, tmp, ref, f));
      }
      Round last = rounds.get(rounds.size() - 1);
      Round cold = rounds.get(0);
      double windowMs = windowComputeMillis(ref.profile, quick ? 300 : 2000);

      out.println("vigil bench drift" + (quick ? " --quick" : ""));
      out.printf(Locale.ROOT, "conditions: %d cores, Java %s, Flink %s, one local cluster (MiniCluster, jobs submitted over REST) for every job, parallelism %d, embedded Kafka in the same JVM,"
              + " %s test split (%d entities, %,d samples%s), feature set %s (%d features over %d metrics),"
              + " exactly-once Kafka sinks, checkpoints every %s, drift windows %s of event time (%,d reports per round),"
              + " reference profile of the train split (20 bins per feature), bounded runs timed by the cluster from"
              + " submission to the end; %d round(s) per job on fresh topics, the feature job's rounds first, then the"
              + " drift job's, round 0 each job's first run in this JVM, the figures from round %d%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
          org.apache.flink.runtime.util.EnvironmentInformation.getVersion(), parallelism, dir,
          test.entities().size(), n, repeat > 1 ? ": " + repeat + " copies, each later in event time" : "", SET.version(), SET.featureNames().size(), SET.metrics().size(),
          CHECKPOINTS, DriftJobConfig.defaults().window(), last.reports, rounds.size(), rounds.size() - 1);
      out.printf(Locale.ROOT, "%-6s %-72s %12s %14s%n", "round", "measure", "samples/s", "CPU us/sample");
      for (Round r : rounds) {
        out.printf(Locale.ROOT, "%-6d %-72s %,12.0f %14.1f%n", r.index,
            "peer: vigil feature job (telemetry -> 307 features, EOS sink)", r.featureRate, r.featureCpuUs);
        out.printf(Locale.ROOT, "%-6d %-72s %,12.0f %14.1f%n", r.index,
            "vigil drift job (join, bin, windows, PSI/JS/KS/W, CUSUM, CBPE, EOS sink)", r.driftRate, r.driftCpuUs);
        out.printf(Locale.ROOT, "%-6d %-72s %12.2f %14.2f%n", r.index, "drift / feature (CPU: feature / drift)",
            r.driftRate / r.featureRate, r.featureCpuUs / r.driftCpuUs);
      }
      out.println("(CPU us/sample: this JVM's CPU time over the job's run, all threads: job, embedded broker, JIT, GC)");
      out.printf(Locale.ROOT, "drift job input records (vectors + predictions) per second, round %d: %,.0f%n",
          last.index, 2 * last.driftRate);
      out.printf(Locale.ROOT, "one window's drift computation (307 features + score, 38 metrics): %.3f ms (median)%n", windowMs);
      out.printf(Locale.ROOT, "drift job dead letters by code, round %d: %s%n", last.index, last.deadLetters);
      out.printf(Locale.ROOT, "vs_features = %.2f (round %d: drift samples/s / feature vectors/s; goal >= 1.0); first runs"
          + " (round 0): %.2f%n", last.driftRate / last.featureRate, last.index, cold.driftRate / cold.featureRate);
      double warmMedian = warmMedian(rounds);
      if (rounds.size() > 2) {
        out.printf(Locale.ROOT, "median over the warmed rounds 1..%d: %.2f (the rounds differ by the JIT and the"
            + " machine's load more than by small changes to a job)%n", last.index, warmMedian);
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("bench", "drift");
      json.put("quick", quick);
      json.put("samples", n);
      json.put("rounds", rounds.size());
      json.put("feature_job_samples_per_s", Math.round(last.featureRate));
      json.put("drift_job_samples_per_s", Math.round(last.driftRate));
      json.put("drift_job_records_per_s", Math.round(2 * last.driftRate));
      json.put("vs_features", Math.round(last.driftRate / last.featureRate * 1000) / 1000.0);
      json.put("vs_features_cold", Math.round(cold.driftRate / cold.featureRate * 1000) / 1000.0);
      json.put("vs_features_warm_median", Math.round(warmMedian * 1000) / 1000.0);
      json.put("feature_job_cpu_us_per_sample", Math.round(last.featureCpuUs * 10) / 10.0);
      json.put("drift_job_cpu_us_per_sample", Math.round(last.driftCpuUs * 10) / 10.0);
      json.put("window_compute_ms", Math.round(windowMs * 1000) / 1000.0);
      json.put("reports", last.reports);
      json.put("drift_dead_letters", last.deadLetters);
      out.println(new ObjectMapper().writeValueAsString(json));
      out.flush();
    } finally {
      FileUtils.deleteQuietly(tmp.toFile());
    }
    return 0;
  }

  /** Median of drift / feature over the rounds after round 0 (round 0 alone when there are no others). */
  private static double warmMedian(List<Round> rounds) {
    List<Round> warm = rounds.size() > 1 ? rounds.subList(1, rounds.size()) : rounds;
    double[] r = warm.stream().mapToDouble(x -> x.driftRate / x.featureRate).sorted().toArray();
    return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
  }

  private static final Duration CHECKPOINTS = Duration.ofSeconds(2);

  /** The bench's one Flink cluster, which runs every job of every round. */
  private BenchCluster cluster;

  private record Round(int index, double featureRate, double driftRate, double featureCpuUs, double driftCpuUs,
      long reports, Map<String, Long> deadLetters) {}

  /** CPU time of this JVM (all threads: the job, the broker, JIT, GC), in nanoseconds. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** A feature-job round: its rate and CPU per sample, and the predictions scored from its vectors. */
  private record FeatureRound(int index, String suffix, double rate, double cpuUs, long predictions) {}

  /**
   * The feature job on fresh topics (it reads all of the telemetry, its own group), then the scorer
   * turns its vectors into predictions for the drift round of the same index.
   */
  private FeatureRound featureRound(EmbeddedKafka kafka, Path tmp, Reference ref, long n, int index)
      throws Exception {
    String suffix = "-r" + index;
    try (Admin admin = kafka.admin()) {
      admin.createTopics(List.of(new NewTopic("features" + suffix, 4, (short) 1),
          new NewTopic("predictions" + suffix, 4, (short) 1), new NewTopic("drift" + suffix, 1, (short) 1)))
          .all().get();
    }
    // A full collection before every round of either job: the drift rounds come after all the feature
    // rounds, and without it they ran on a heap the earlier rounds had filled (mixed collections of
    // their garbage, pauses of 100+ ms, inside the drift job's timed run).
    System.gc();
    long cpu0 = processCpuNanos();
    double featureSeconds = runFeatureJob(kafka, tmp, suffix);
    long featureCpu = processCpuNanos() - cpu0;
    long predictions = score(kafka, ref.threshold, suffix);
    return new FeatureRound(index, suffix, n / featureSeconds, featureCpu / 1e3 / n, predictions);
  }

  /** The drift job over a feature round's vectors and predictions. */
  private Round driftRound(EmbeddedKafka kafka, Path tmp, Reference ref, FeatureRound f) throws Exception {
    DriftJobConfig cfg = driftConfig(kafka, tmp, f.suffix());
    Map<String, Long> dlqBefore = deadLetters(kafka);
    System.gc();
    long cpu1 = processCpuNanos();
    double driftSeconds = runDriftJob(cfg, ref.profile);
    long driftCpu = processCpuNanos() - cpu1;
    long reports = count(kafka, "drift" + f.suffix());
    Map<String, Long> dlq = deadLetters(kafka);
    dlqBefore.forEach((code, k) -> dlq.merge(code, -k, Long::sum));
    dlq.values().removeIf(k -> k == 0);
    return new Round(f.index(), f.rate(), f.predictions() / driftSeconds, f.cpuUs(),
        driftCpu / 1e3 / f.predictions(), reports, dlq);
  }

  private record Reference(ReferenceProfile profile, double threshold) {}

  /** Reference profile of the train split's features, and the scorer's 99th-percentile threshold. */
  private static Reference reference(Dataset train) {
    List<double[]> rows = new ArrayList<>();
    new OfflineFeatures(SET, false).compute(train, v -> {
      double[] x = new double[v.getValues().size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = v.getValues().get(i);
      }
      rows.add(x);
    });
    List<String> names = SET.featureNames();
    List<ReferenceProfile.Hist> hs = new ArrayList<>();
    double[] col = new double[rows.size()];
    for (int c = 0; c < names.size(); c++) {
      for (int r = 0; r < rows.size(); r++) {
        col[r] = rows.get(r)[c];
      }
      hs.add(ReferenceProfile.Hist.of(names.get(c), col, 20));
    }
    int sc = names.indexOf("summary.max_abs_z");
    double[] scores = new double[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      scores[r] = rows.get(r)[sc];
    }
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    ReferenceProfile p = new ReferenceProfile(1, SET.version(), "bench-train", rows.size(), hs,
        ReferenceProfile.Hist.of("score", scores, 20));
    return new Reference(p, sorted[(int) (0.99 * (sorted.length - 1))]);
  }

  private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
    return new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 5,
        "batch.size", 262144, "compression.type", "lz4"), new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * The dataset's rows as telemetry, {@code copies} times: copy k is shifted by k times (the data's span
   * plus a day), so every copy comes after the one before in event time and gets its own sample ids.
   */
  private static long produceTelemetry(EmbeddedKafka kafka, Dataset ds, int copies) {
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    Duration period = copies > 1 ? span(ds).plusDays(1) : Duration.ZERO;
    long n = 0;
    try (KafkaProducer<byte[], byte[]> p = producer(kafka)) {
      for (int k = 0; k < copies; k++) {
        Duration shift = period.multipliedBy(k);
        Interleaved it = new Interleaved(ds.entities());
        while (it.hasNext()) {
          Interleaved.EntityRow r = it.next();
          TelemetrySample sample = Replayer.toSample(r.series(), r.row(), EntityKind.HOST, Map.of());
          sample.setEventTime(sample.getEventTime().plus(shift));
          p.send(new ProducerRecord<>("telemetry", r.series().entity().getBytes(StandardCharsets.UTF_8),
              serde.encode(sample)));
          n++;
        }
      }
      p.flush();
    }
    return n;
  }

  private double runFeatureJob(EmbeddedKafka kafka, Path tmp, String suffix) throws Exception {
    FeatureJobConfig d = FeatureJobConfig.defaults();
    FeatureJobConfig cfg = new FeatureJobConfig("features", kafka.bootstrapServers(), "telemetry", "features" + suffix,
        "dlq", "features-group" + suffix, "features-tx" + suffix, Duration.ofMinutes(5), null, d.outOfOrderness(),
        Duration.ofSeconds(1), CHECKPOINTS, tmp.resolve("features" + suffix).toUri().toString(), "", d.s3(), 1e15, false, parallelism);
    StreamExecutionEnvironment env = cluster.environment();
    env.setParallelism(parallelism);
    FeatureJob.configure(env, cfg);
    FeatureJob.build(env, cfg, SET, FeatureJob.kafkaSource(cfg, SET, true), FeatureJob.featureSink(cfg),
        FeatureJob.dlqSink(cfg), null);
    return BenchCluster.seconds(env.execute("bench-features"));
  }

  /** From the dataset's first to its last row time (zero when it has no rows). */
  private static Duration span(Dataset ds) {
    Instant first = null;
    Instant last = null;
    for (Interleaved it = new Interleaved(ds.entities()); it.hasNext(); ) {
      Instant t = it.next().row().time();
      first = first == null || t.isBefore(first) ? t : first;
      last = last == null || t.isAfter(last) ? t : last;
    }
    return first == null ? Duration.ZERO : Duration.between(first, last);
  }

  /** Reads the feature job's vectors and writes one prediction per vector (the scorer: summary.max_abs_z). */
  private static long score(EmbeddedKafka kafka, double threshold, String suffix) {
    AvroSerde<FeatureVector> fs = AvroSerde.of(FeatureVector.class);
    AvroSerde<Prediction> ps = AvroSerde.of(Prediction.class);
    int sc = SET.featureNames().indexOf("summary.max_abs_z");
    long n = 0;
    try (KafkaConsumer<byte[], byte[]> c = consumer(kafka, "features" + suffix);
        KafkaProducer<byte[], byte[]> p = producer(kafka)) {
      int empty = 0;
      while (empty < 10) { // the feature job has finished and committed: read until the topic is drained
        var batch = c.poll(Duration.ofMillis(200));
        empty = batch.isEmpty() ? empty + 1 : 0;
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          FeatureVector v = fs.decode(r.value());
          double s = v.getValues().get(sc);
          double prob = 1 / (1 + Math.exp(-4 * (s - threshold)));
          Prediction pr = Prediction.newBuilder().setSampleId(v.getSampleId()).setEntity(v.getEntity())
              .setWindowStart(v.getWindowStart()).setWindowEnd(v.getWindowEnd()).setModelName(MODEL)
              .setModelVersion("1").setScore(s).setProbability(prob).setUncertainty(1 - Math.abs(2 * prob - 1))
              .setThreshold(threshold).setAnomaly(s > threshold).setAttributions(Map.of())
              .setPredictedAt(v.getWindowEnd()).setFeatureSetVersion(v.getFeatureSetVersion()).build();
          p.send(new ProducerRecord<>("predictions" + suffix, r.key(), ps.encode(pr)));
          n++;
        }
      }
      p.flush();
    }
    return n;
  }

  private static KafkaConsumer<byte[], byte[]> consumer(EmbeddedKafka kafka, String topic) {
    KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
        "isolation.level", "read_committed", "max.poll.records", 5000), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    List<TopicPartition> tps = new ArrayList<>();
    c.partitionsFor(topic).forEach(p -> tps.add(new TopicPartition(topic, p.partition())));
    c.assign(tps);
    c.seekToBeginning(tps);
    return c;
  }

  private static long count(EmbeddedKafka kafka, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = consumer(kafka, topic)) {
      long n = 0;
      int empty = 0;
      while (empty < 10) {
        var batch = c.poll(Duration.ofMillis(200));
        empty = batch.isEmpty() ? empty + 1 : 0;
        n += batch.count();
      }
      return n;
    }
  }

  /** Dead letters on the shared DLQ topic, by error code. */
  private static Map<String, Long> deadLetters(EmbeddedKafka kafka) {
    AvroSerde<DeadLetter> serde = AvroSerde.of(DeadLetter.class);
    Map<String, Long> codes = new java.util.TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer(kafka, "dlq")) {
      int empty = 0;
      while (empty < 10) {
        var batch = c.poll(Duration.ofMillis(200));
        empty = batch.isEmpty() ? empty + 1 : 0;
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          codes.merge(serde.decode(r.value()).getErrorCode(), 1L, Long::sum);
        }
      }
    }
    return codes;
  }

  private DriftJobConfig driftConfig(EmbeddedKafka kafka, Path tmp, String suffix) {
    DriftJobConfig d = DriftJobConfig.defaults();
    return new DriftJobConfig("drift", kafka.bootstrapServers(), "features" + suffix, "predictions" + suffix,
        "labels" + suffix, "drift" + suffix, "dlq", "drift-group" + suffix, "drift-tx" + suffix, Duration.ofMinutes(5),
        null, d.window(), d.outOfOrderness(), Duration.ofSeconds(1), Duration.ofSeconds(1), d.joinTtl(), d.labelTtl(),
        CHECKPOINTS, tmp.resolve("drift" + suffix).toUri().toString(), d.registry(),
        d.drift(), parallelism);
  }

  /** The profile straight from memory: this bench measures the job, not the registry (fetched once per version). */
  private record InMemoryReference(ReferenceProfile profile) implements ReferenceSource {
    @Override
    public ReferenceProfile load(String modelName, String version) {
      return profile;
    }
  }

  private double runDriftJob(DriftJobConfig cfg, ReferenceProfile profile) throws Exception {
    StreamExecutionEnvironment env = cluster.environment();
    DriftJob.configure(env, cfg);
    DriftJob.build(env, cfg, SET, new InMemoryReference(profile),
        DriftJob.kafkaSource(cfg, cfg.featuresTopic(), DriftInput.Kind.FEATURES, true),
        DriftJob.kafkaSource(cfg, cfg.predictionsTopic(), DriftInput.Kind.PREDICTION, true), null,
        DriftJob.driftSink(cfg), DriftJob.dlqSink(cfg));
    return BenchCluster.seconds(env.execute("bench-drift"));
  }

  /** Median time of one window's assessment (60 samples binned in) over {@code rounds} rounds. */
  private static double windowComputeMillis(ReferenceProfile profile, int rounds) {
    ReferenceModel ref = ReferenceModel.of(MODEL, "1", profile, SET.featureNames(), new FeatureMetrics(SET.metrics()));
    WindowEvaluator eval = new WindowEvaluator(DriftPolicy.defaults());
    Random rnd = new Random(1);
    int f = ref.featureCount();
    WindowAccumulator acc = new WindowAccumulator();
    for (int s = 0; s < 60; s++) {
      float[] x = new float[f]; // the job's values are floats (FeatureValues)
      for (int i = 0; i < f; i++) {
        ReferenceProfile.Hist h = profile.features().get(i);
        x[i] = (float) (h.mean() + h.std() * rnd.nextGaussian());
      }
      ref.addTo(acc, x, rnd.nextDouble(), rnd.nextDouble(), rnd.nextBoolean());
    }
    MonitorState state = new MonitorState();
    double[] ms = new double[rounds];
    long sink = 0;
    for (int r = 0; r < rounds + 200; r++) {
      long t0 = System.nanoTime();
      WindowEvaluator.Assessment a = eval.assess(ref, acc, state);
      long t = System.nanoTime() - t0;
      sink += a.features().size();
      if (r >= 200) {
        ms[r - 200] = t / 1e6;
      }
    }
    if (sink == 0) {
      throw new IllegalStateException("nothing assessed");
    }
    Arrays.sort(ms);
    return ms[ms.length / 2];
  }
}
