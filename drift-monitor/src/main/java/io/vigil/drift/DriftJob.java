package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import io.vigil.features.FeatureSet;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.DriftReport;
import io.vigil.streamio.AvroRecords;
import io.vigil.streamio.JobSetup;
import io.vigil.streamio.KafkaSinks;
import io.vigil.streamio.KafkaSources;
import io.vigil.streamio.RecordHeaders;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The drift job: {@code vigil.features} + {@code vigil.predictions} → decode (unreadable to the
 * DLQ) → joined by sample id, keyed by entity ({@link EntityJoin}) → binned against each model version's cached
 * reference and added up per window on each subtask ({@link PartialWindowOperator}) → keyed by model
 * version, event-time tumbling windows merging the parts in the
 * incremental {@link DriftAggregate} → {@link DriftWindowFunction} (statistics, detector, alarm,
 * CBPE) → {@code vigil.drift} (exactly-once). {@code vigil.labels} meet the predictions
 * ({@link LabelJoin}) and check the estimates ({@link LabelCheck}). Sources and sinks are
 * parameters of {@link #build}; {@link #main} wires the Kafka ones from the configuration.
 */
public final class DriftJob {

  static final String UID_FEATURES = "drift-features-source";
  static final String UID_PREDICTIONS = "drift-predictions-source";
  static final String UID_LABELS = "drift-labels-source";
  static final String UID_ROUTE = "drift-route";
  static final String UID_ROUTE_PREDICTIONS = "drift-route-predictions";
  static final String UID_JOIN = "drift-entity-join";
  static final String UID_BIN = "drift-bin";
  static final String UID_WINDOW = "drift-window";
  static final String UID_SINK = "drift-sink";
  static final String UID_DLQ = "drift-dlq-sink";
  static final String UID_LABEL_JOIN = "drift-label-join";
  static final String UID_LABEL_CHECK = "drift-label-check";

  static final OutputTag<DriftInput> REFUSED = new OutputTag<>("refused", TypeInformation.of(DriftInput.class));
  static final OutputTag<PartialWindow> LATE = new OutputTag<>("late", PartialWindowSerializer.TYPE);

  private DriftJob() {}

  /** Wires the job into {@code env}. {@code labels} may be null (no label check). */
  public static void build(StreamExecutionEnvironment env, DriftJobConfig cfg, FeatureSet set,
      ReferenceSource references, Source<DriftInput, ?, ?> features, Source<DriftInput, ?, ?> predictions,
      Source<DriftInput, ?, ?> labels, Sink<DriftReport> drift, Sink<DeadLetter> dlq) {
    requireNonNull(set, "set");
    // Per partition (Kafka source: one generator per split), bounded out-of-orderness per entity: the
    // writers key by entity, so a partition is ordered per entity only (see EntityWatermarks).
    // Not watermark-aligned: in a catch-up, alignment (max drift joinTtl / 4, announced every second)
    // keeps every split waiting for the slowest one and halved the job's rate in the bench; the
    // predictions source reads ahead instead and its records wait in the join's state (kept compact
    // for the checkpoints, see JoinState).
    Duration outOfOrderness = cfg.outOfOrderness();
    WatermarkStrategy<DriftInput> watermarks = watermarks(outOfOrderness, cfg.idleness());
    // The predictions trail the features by the scoring stage's lag: with the features' short idleness
    // the predictions input would go idle while scoring catches up (at start-up), the features alone
    // would move event time on, and every vector would time out of the join before its prediction.
    WatermarkStrategy<DriftInput> predictionWatermarks = watermarks(outOfOrderness, cfg.predictionsIdleness());
    // Each source routes its own refused records (chained to the source: no network hop before the join).
    SingleOutputStreamOperator<DriftInput> f = env.fromSource(features, watermarks, "features").uid(UID_FEATURES)
        .name("features (Kafka)")
        .process(new Router()).uid(UID_ROUTE).name("route refused features");
    SingleOutputStreamOperator<DriftInput> p = env.fromSource(predictions, predictionWatermarks, "predictions")
        .uid(UID_PREDICTIONS).name("predictions (Kafka)")
        .process(new Router()).uid(UID_ROUTE_PREDICTIONS).name("route refused predictions");
    DataStream<DriftInput> valid = f.union(p);

    long retry = cfg.registry().retryAfter().toMillis();
    // bins each sample and adds it into this subtask's part of its window (chained to the join): the
    // window stage merges a few parts per window instead of receiving every sample
    SingleOutputStreamOperator<PartialWindow> parts = valid
        .keyBy(d -> d.entity, StringKeySerializer.TYPE) // compact keys in the join's checkpoints
        .process(new EntityJoin(cfg.joinTtl())).uid(UID_JOIN).name("join features and predictions")
        .transform("bin and add up per window", PartialWindowSerializer.TYPE,
            new PartialWindowOperator(references, set, cfg.window(), retry)).uid(UID_BIN);

    SingleOutputStreamOperator<DriftReport> reports = parts
        .keyBy(PartialWindow::modelKey)
        .window(TumblingEventTimeWindows.of(cfg.window()))
        .sideOutputLateData(LATE)
        .aggregate(new DriftAggregate(), new DriftWindowFunction(references, set, cfg.drift(), retry),
            WindowAccumulatorSerializer.TYPE, WindowAccumulatorSerializer.TYPE,
            TypeInformation.of(DriftReport.class))
        .uid(UID_WINDOW).name("drift per model version and window");
    reports.sinkTo(drift).uid(UID_SINK).name("drift reports (Kafka, exactly-once)");

    long windowMillis = cfg.window().toMillis();
    DataStream<DriftInput> late = reports.getSideOutput(LATE).map(w -> late(w, windowMillis))
        .returns(TypeInformation.of(DriftInput.class)).name("late samples");
    DataStream<DriftInput> refused = f.getSideOutput(REFUSED).union(p.getSideOutput(REFUSED),
        parts.getSideOutput(PartialWindowOperator.UNBINNABLE), late);

    if (labels != null) {
      SingleOutputStreamOperator<DriftInput> l = env.fromSource(labels, WatermarkStrategy.noWatermarks(), "labels")
          .uid(UID_LABELS).name("labels (Kafka)")
          .process(new Router()).uid(UID_ROUTE + "-labels").name("route refused labels");
      refused = refused.union(l.getSideOutput(REFUSED));
      DataStream<LabelOutcome> outcomes = p // the predictions' router emits predictions only
          .keyBy(d -> d.sampleId)
          .connect(l.keyBy(d -> d.sampleId))
          .process(new LabelJoin(cfg.labelTtl())).uid(UID_LABEL_JOIN).name("meet predictions and labels");
      outcomes.union(reports.map(DriftJob::estimate).returns(TypeInformation.of(LabelOutcome.class)))
          .keyBy(LabelOutcome::modelKey)
          .process(new LabelCheck(cfg.window(), cfg.labelTtl())).uid(UID_LABEL_CHECK)
          .name("check estimated F1 against labels")
          .sinkTo(new DiscardingSink<>()).name("label check (metrics and log)");
    }
    refused.map(DriftJob::deadLetter).returns(TypeInformation.of(DeadLetter.class)).name("dead letters")
        .sinkTo(dlq).uid(UID_DLQ).name("dead letters (Kafka)");
  }

  private static WatermarkStrategy<DriftInput> watermarks(Duration outOfOrderness, Duration idleness) {
    return WatermarkStrategy
        .<DriftInput>forGenerator(ctx -> new EntityWatermarks(outOfOrderness, idleness, ctx.getInputActivityClock()))
        .withTimestampAssigner((d, kafkaTs) -> d.time)
        .withIdleness(idleness);
  }

  /** Sends refused records to the side output, the rest on. */
  static final class Router extends ProcessFunction<DriftInput, DriftInput> {
    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(DriftInput d, Context ctx, Collector<DriftInput> out) {
      if (d.kind == DriftInput.Kind.REFUSED) {
        ctx.output(REFUSED, d);
      } else {
        out.collect(d);
      }
    }
  }

  static LabelOutcome estimate(DriftReport r) {
    LabelOutcome o = new LabelOutcome();
    o.modelName = r.getModelName();
    o.modelVersion = r.getModelVersion();
    o.time = r.getWindowStart().toEpochMilli();
    o.estimate = true;
    o.estimatedF1 = r.getEstimatedF1() == null ? Double.NaN : r.getEstimatedF1();
    return o;
  }

  static DriftInput late(PartialWindow p, long windowMillis) {
    long n = p.acc.samples;
    return DriftInput.refused("joined-sample", -1, -1, null, null, "LATE_RECORD",
        n + (n == 1 ? " sample" : " samples") + " of model " + p.modelName + " version " + p.modelVersion
            + " in the window " + Instant.ofEpochMilli(p.windowStart) + ".."
            + Instant.ofEpochMilli(p.windowStart + windowMillis) + " arrived after the window had closed");
  }

  static DeadLetter deadLetter(DriftInput d) {
    return DeadLetter.newBuilder()
        .setSourceTopic(d.topic == null ? "" : d.topic)
        .setPartition(d.partition)
        .setOffset(d.offset)
        .setKey(d.rawKey == null ? null : ByteBuffer.wrap(d.rawKey))
        .setValue(d.rawValue == null ? null : ByteBuffer.wrap(d.rawValue))
        .setHeaders(RecordHeaders.toMap(d.headers))
        .setStage("drift-monitor")
        .setErrorCode(d.errorCode == null ? "UNKNOWN" : d.errorCode)
        .setReason(d.reason == null ? "" : d.reason)
        .setFailedAt(Instant.now())
        .build();
  }

  // ---- Kafka wiring ----

  public static KafkaSource<DriftInput> kafkaSource(DriftJobConfig cfg, String topic, DriftInput.Kind kind,
      boolean bounded) {
    return KafkaSources.builder(cfg.bootstrapServers(), topic, cfg.groupId(), new DriftDecoder(kind), bounded)
        .build();
  }

  /**
   * Reports go out in producer batches of up to 256 KiB: a report (~17 KB on SMD's 307 features) is
   * larger than the producer's default batch of 16 KiB, so with it every report opened a batch and an
   * LZ4 stream of its own (a fifth of the window stage's CPU in a profile of the bench).
   */
  public static KafkaSink<DriftReport> driftSink(DriftJobConfig cfg) {
    return KafkaSinks.exactlyOnce(cfg.bootstrapServers(), AvroRecords.keyedBy(cfg.driftTopic(),
        r -> AvroRecords.utf8(r.getModelName()), () -> new DriftReportWriter()::encode), cfg.transactionalIdPrefix() + "-drift",
        cfg.transactionTimeout(), REPORT_BATCH_BYTES);
  }

  static final int REPORT_BATCH_BYTES = 256 * 1024;

  public static KafkaSink<DeadLetter> dlqSink(DriftJobConfig cfg) {
    return KafkaSinks.exactlyOnce(cfg.bootstrapServers(), AvroRecords.deadLetters(cfg.dlqTopic()), cfg.transactionalIdPrefix() + "-dlq",
        cfg.transactionTimeout());
  }

  /**
   * Checkpointing settings of the job, and its state backend: the heap ({@code hashmap}), whatever
   * the cluster's default. The join ({@link EntityJoin}) keeps each entity's waiting samples in one
   * state value and changes it in place; on a serializing backend (RocksDB) every record would
   * write the entity's whole value.
   */
  public static Configuration flinkConfiguration(DriftJobConfig cfg) {
    Configuration c = JobSetup.checkpointStorage(cfg.checkpointDir(), null, null, null, true);
    c.set(StateBackendOptions.STATE_BACKEND, "hashmap");
    return c;
  }

  public static void configure(StreamExecutionEnvironment env, DriftJobConfig cfg) {
    env.configure(flinkConfiguration(cfg));
    env.enableCheckpointing(cfg.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    env.getConfig().setAutoWatermarkInterval(50);
    // Records from the network are always fresh objects, and no operator changes a record it received
    // or keeps one it has passed on (the join keeps the network's vector and only reads it later):
    // chained operators can hand records over without a deep copy.
    env.getConfig().enableObjectReuse();
    if (cfg.parallelism() > 0) {
      env.setParallelism(cfg.parallelism());
    }
  }

  /** Entry point for {@code flink run} and the REST API: {@code [--config FILE]}. */
  public static void main(String[] args) throws Exception {
    Path file = JobSetup.configFile(args);
    DriftJobConfig cfg = DriftJobConfig.loader().load(file, System.getenv());
    FeatureSet set = cfg.featureSetFile() == null ? FeatureSet.smdDefault() : FeatureSet.load(Path.of(cfg.featureSetFile()));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(cfg));
    configure(env, cfg);
    build(env, cfg, set, new RegistryReferenceSource(cfg.registry()),
        kafkaSource(cfg, cfg.featuresTopic(), DriftInput.Kind.FEATURES, false),
        kafkaSource(cfg, cfg.predictionsTopic(), DriftInput.Kind.PREDICTION, false),
        kafkaSource(cfg, cfg.labelsTopic(), DriftInput.Kind.LABEL, false),
        driftSink(cfg), dlqSink(cfg));
    env.execute(cfg.jobName());
  }
}
