package io.vigil.pipeline;

import static java.util.Objects.requireNonNull;

import io.vigil.features.FeatureSet;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.streamio.AvroRecords;
import io.vigil.streamio.JobSetup;
import io.vigil.streamio.KafkaSinks;
import io.vigil.streamio.KafkaSources;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The feature job: {@code vigil.telemetry} → decode (bad records to the DLQ) → event-time
 * watermarks → keyed by entity → {@link FeatureOperator} → {@code vigil.features} (exactly-once)
 * and the offline archive. Sources and sinks are parameters of {@link #build}, so tests plug in
 * their own; {@link #main} wires the Kafka ones from the configuration.
 */
public final class FeatureJob {

  /** Producer batches of the sinks: the job writes at high rates. */
  static final int PRODUCER_BATCH_BYTES = 512 * 1024;

  /** Operator uids: stable across versions, so savepoints restore into new builds. */
  static final String UID_SOURCE = "telemetry-source";
  static final String UID_DECODE = "decode-router";
  static final String UID_FEATURES = "entity-features";
  static final String UID_SINK = "features-sink";
  static final String UID_DLQ = "dlq-sink";
  static final String UID_ARCHIVE = "features-archive";

  static final OutputTag<DeadLetter> REFUSED =
      new OutputTag<>("refused-records", org.apache.flink.api.common.typeinfo.TypeInformation.of(DeadLetter.class));

  private FeatureJob() {}

  /** Wires the job into {@code env}. {@code archive} may be null. */
  public static void build(StreamExecutionEnvironment env, FeatureJobConfig cfg, FeatureSet set,
      Source<DecodedSample, ?, ?> source, Sink<FeatureRecord> features, Sink<DeadLetter> dlq,
      Sink<FeatureRecord> archive) {
    build(env, cfg, set, source, features, dlq, archive, UnaryOperator.identity());
  }

  /**
   * As above, with {@code beforeSinks} applied to the feature stream before the sinks (tests use it
   * to inject failures; production passes the identity).
   */
  static void build(StreamExecutionEnvironment env, FeatureJobConfig cfg, FeatureSet set,
      Source<DecodedSample, ?, ?> source, Sink<FeatureRecord> features, Sink<DeadLetter> dlq,
      Sink<FeatureRecord> archive, UnaryOperator<DataStream<FeatureRecord>> beforeSinks) {
    requireNonNull(set, "set");
    // Alignment pauses partitions whose event time runs more than an hour ahead of the slowest one
    // (catching up after downtime, uneven partitions), so samples waiting for the watermark stay
    // few; within the hour nothing is paused, so live latency is untouched.
    WatermarkStrategy<DecodedSample> watermarks = WatermarkStrategy
        .<DecodedSample>forBoundedOutOfOrderness(cfg.outOfOrderness())
        .withTimestampAssigner((s, kafkaTs) -> s.time)
        .withIdleness(cfg.idleness())
        .withWatermarkAlignment("vigil-telemetry", cfg.outOfOrderness().plusHours(1), Duration.ofSeconds(1));
    DataStream<DecodedSample> decoded = env.fromSource(source, watermarks, "telemetry")
        .uid(UID_SOURCE).name("telemetry (Kafka)");

    SingleOutputStreamOperator<DecodedSample> valid = decoded
        .process(new Router()).uid(UID_DECODE).name("route refused records");

    SingleOutputStreamOperator<FeatureRecord> vectors = valid
        .keyBy(s -> s.entity)
        .process(new FeatureOperator(set, cfg.telemetryTopic(), cfg.includeNames()))
        .uid(UID_FEATURES).name("entity features");

    DataStream<FeatureRecord> out = beforeSinks.apply(vectors);
    out.sinkTo(features).uid(UID_SINK).name("features (Kafka, exactly-once)");
    valid.getSideOutput(REFUSED)
        .union(vectors.getSideOutput(FeatureOperator.REJECTED))
        .sinkTo(dlq).uid(UID_DLQ).name("dead letters (Kafka)");
    if (archive != null) {
      out.sinkTo(archive).uid(UID_ARCHIVE).name("feature archive (Avro files)");
    }
  }

  /** Sends refused records to the side output, valid samples on. */
  static final class Router extends ProcessFunction<DecodedSample, DecodedSample> {
    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(DecodedSample s, Context ctx, Collector<DecodedSample> out) {
      if (s.failed()) {
        ctx.output(REFUSED, DeadLetters.refused(s));
      } else {
        out.collect(s);
      }
    }
  }

  // ---- Kafka and file wiring ----

  public static KafkaSource<DecodedSample> kafkaSource(FeatureJobConfig cfg, FeatureSet set, boolean bounded) {
    return KafkaSources.builder(cfg.bootstrapServers(), cfg.telemetryTopic(), cfg.groupId(),
        new TelemetryDecoder(set, cfg.absurdValueLimit()), bounded).build();
  }

  /**
   * Key = entity, value = the single-object-encoded vector (written by {@link FeatureVectorWriter},
   * byte for byte what {@code AvroSerde} writes), the telemetry's trace context as headers ({@link
   * FeatureRecordSerializer}). No record timestamp is set, so Kafka stamps the write time (topic
   * retention then counts from the write, not the window).
   */
  public static KafkaSink<FeatureRecord> featureSink(FeatureJobConfig cfg) {
    return KafkaSinks.exactlyOnce(cfg.bootstrapServers(), new FeatureRecordSerializer(cfg.featuresTopic()),
        cfg.transactionalIdPrefix() + "-features", cfg.transactionTimeout(), PRODUCER_BATCH_BYTES);
  }

  /**
   * The settings {@link #featureSink} gives its exactly-once producers (besides the bootstrap
   * servers and transactional ids), for benchmarks that measure what Kafka itself can take.
   */
  public static Properties featureProducerProperties(FeatureJobConfig cfg) {
    return KafkaSinks.producerProperties(cfg.transactionTimeout(), PRODUCER_BATCH_BYTES);
  }

  public static KafkaSink<DeadLetter> dlqSink(FeatureJobConfig cfg) {
    return KafkaSinks.exactlyOnce(cfg.bootstrapServers(), AvroRecords.deadLetters(cfg.dlqTopic()), cfg.transactionalIdPrefix() + "-dlq",
        cfg.transactionTimeout(), PRODUCER_BATCH_BYTES);
  }

  /**
   * Avro files under {@code archiveDir/date=YYYY-MM-DD/hour=HH/}, rolled on every checkpoint; records
   * are appended pre-encoded ({@link FeatureArchiveFormat}).
   */
  public static FileSink<FeatureRecord> archiveSink(FeatureJobConfig cfg) {
    return FileSink.forBulkFormat(new org.apache.flink.core.fs.Path(cfg.archiveDir()), new FeatureArchiveFormat())
        .withBucketAssigner(new HourOfWindowEnd())
        .withRollingPolicy(OnCheckpointRollingPolicy.build())
        .build();
  }

  /** Checkpointing, state and file-system settings of the job. */
  public static Configuration flinkConfiguration(FeatureJobConfig cfg) {
    FeatureJobConfig.S3 s3 = cfg.s3();
    return s3 == null ? JobSetup.checkpointStorage(cfg.checkpointDir(), null, null, null, true)
        : JobSetup.checkpointStorage(cfg.checkpointDir(), s3.endpoint(), s3.accessKey(), s3.secretKey(), s3.pathStyle());
  }

  public static void configure(StreamExecutionEnvironment env, FeatureJobConfig cfg) {
    env.configure(flinkConfiguration(cfg));
    env.enableCheckpointing(cfg.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    env.getConfig().setAutoWatermarkInterval(50);
    // no operator keeps a reference to a record it was handed (FeatureOperator copies the values it
    // buffers), so chained operators can pass records without copying them
    env.getConfig().enableObjectReuse();
    if (cfg.parallelism() > 0) {
      env.setParallelism(cfg.parallelism());
    }
  }

  /** Entry point for {@code flink run} and the REST API: {@code [--config FILE]}. */
  public static void main(String[] args) throws Exception {
    Path file = JobSetup.configFile(args);
    FeatureJobConfig cfg = FeatureJobConfig.loader().load(file, System.getenv());
    FeatureSet set = cfg.featureSetFile() == null ? FeatureSet.smdDefault()
        : FeatureSet.load(Path.of(cfg.featureSetFile()));
    // file systems (s3://) are the cluster's business: its plugins and Flink configuration
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(cfg));
    configure(env, cfg);
    build(env, cfg, set, kafkaSource(cfg, set, false), featureSink(cfg), dlqSink(cfg),
        cfg.archiveDir() == null || cfg.archiveDir().isBlank() ? null : archiveSink(cfg));
    env.execute(cfg.jobName());
  }

  /** Buckets archive files by the UTC hour of each vector's window end. */
  static final class HourOfWindowEnd implements BucketAssigner<FeatureRecord, String> {
    private static final long serialVersionUID = 1L;
    private static final DateTimeFormatter FORMAT =
        DateTimeFormatter.ofPattern("'date='yyyy-MM-dd'/hour='HH").withZone(ZoneOffset.UTC);

    @Override
    public String getBucketId(FeatureRecord r, Context ctx) {
      Instant end = r.vector.getWindowEnd();
      return FORMAT.format(end);
    }

    @Override
    public SimpleVersionedSerializer<String> getSerializer() {
      return SimpleVersionedStringSerializer.INSTANCE;
    }
  }
}
