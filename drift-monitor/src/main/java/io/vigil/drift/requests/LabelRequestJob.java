package io.vigil.drift.requests;

import static java.util.Objects.requireNonNull;

import io.vigil.drift.requests.RequestInput.Kind;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.TraceContext;
import io.vigil.streamio.AvroRecords;
import io.vigil.streamio.JobSetup;
import io.vigil.streamio.KafkaSinks;
import io.vigil.streamio.KafkaSources;
import io.vigil.streamio.RecordHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The label-request job: {@code vigil.telemetry}, {@code vigil.features}, {@code
 * vigil.predictions}, {@code vigil.labels} and {@code vigil.drift} → decode (unreadable records to
 * the DLQ) → keyed by entity, {@link LabelRequestOperator} (event-time join, the shared query
 * policy, drift reports as broadcast state) → {@link GlobalBudgetOperator} (parallelism 1) → {@code
 * vigil.label-requests} (exactly-once, key = sample id).
 *
 * <p>Event time comes from the data inputs (telemetry, features, predictions): bounded
 * out-of-orderness, idle partitions stop holding it back. Labels and drift reports never hold event
 * time back (their sources are always idle for watermarking); they take effect when read. Sources
 * and sinks are parameters of {@link #build}, so tests plug in their own; {@link #main} wires the
 * Kafka ones from the configuration.
 */
public final class LabelRequestJob {

  /** Operator uids: stable across versions, so savepoints restore into new builds. */
  static final String UID_DECODE = "label-requests-decode";
  static final String UID_ENTITY = "label-requests-entity";
  static final String UID_BUDGET = "label-requests-global-budget";
  static final String UID_SINK = "label-requests-sink";
  static final String UID_DLQ = "label-requests-dlq-sink";
  /** The dead letters' {@code stage}. */
  static final String DLQ_STAGE = "label-requests/decode";

  static final OutputTag<RequestInput> REFUSED =
      new OutputTag<>("refused-inputs", TypeInformation.of(RequestInput.class));
  static final OutputTag<RequestInput> DRIFT =
      new OutputTag<>("drift-reports", TypeInformation.of(RequestInput.class));

  private LabelRequestJob() {}

  /** The five inputs of the job. */
  public record Sources(Source<RequestInput, ?, ?> telemetry, Source<RequestInput, ?, ?> features,
      Source<RequestInput, ?, ?> predictions, Source<RequestInput, ?, ?> labels,
      Source<RequestInput, ?, ?> drift) {
    public Sources {
      requireNonNull(telemetry, "telemetry");
      requireNonNull(features, "features");
      requireNonNull(predictions, "predictions");
      requireNonNull(labels, "labels");
      requireNonNull(drift, "drift");
    }
  }

  /** Wires the job into {@code env}. */
  public static void build(StreamExecutionEnvironment env, LabelRequestConfig cfg, Sources sources,
      Sink<Candidate> requests, Sink<DeadLetter> dlq) {
    build(env, cfg, sources, requests, dlq, UnaryOperator.identity());
  }

  /**
   * As above, with {@code beforeSink} applied to the released requests before the sink (tests use it
   * to inject failures; production passes the identity).
   */
  static void build(StreamExecutionEnvironment env, LabelRequestConfig cfg, Sources sources,
      Sink<Candidate> requests, Sink<DeadLetter> dlq, UnaryOperator<DataStream<Candidate>> beforeSink) {
    WatermarkStrategy<RequestInput> data = data(cfg.outOfOrderness(), cfg.idleness());
    // The predictions trail the telemetry and features by the scoring stage's lag: after a pause, with
    // the same short idleness, the other inputs moved event time past windows whose predictions were
    // still on their way (see TrailingIdleness and the module README).
    WatermarkStrategy<RequestInput> predictions = WatermarkStrategy
        .<RequestInput>forGenerator(ctx -> new TrailingIdleness<>(
            new BoundedOutOfOrdernessWatermarks<>(cfg.outOfOrderness()), cfg.idleness(), cfg.predictionsIdleness(),
            ctx.getInputActivityClock()))
        .withTimestampAssigner((r, kafkaTs) -> r.time);
    WatermarkStrategy<RequestInput> control = WatermarkStrategy
        .<RequestInput>forGenerator(ctx -> new AlwaysIdle())
        .withTimestampAssigner((r, kafkaTs) -> r.time);

    DataStream<RequestInput> all = env.fromSource(sources.telemetry(), data, "telemetry")
        .uid("label-requests-telemetry-source").name("telemetry (Kafka)")
        .union(
            env.fromSource(sources.features(), data, "features")
                .uid("label-requests-features-source").name("features (Kafka)"),
            env.fromSource(sources.predictions(), predictions, "predictions")
                .uid("label-requests-predictions-source").name("predictions (Kafka)"),
            env.fromSource(sources.labels(), control, "labels")
                .uid("label-requests-labels-source").name("labels (Kafka)"),
            env.fromSource(sources.drift(), control, "drift reports")
                .uid("label-requests-drift-source").name("drift reports (Kafka)"));

    SingleOutputStreamOperator<RequestInput> routed = all.process(new Router())
        .uid(UID_DECODE).name("route refused records and drift reports");

    BroadcastStream<RequestInput> drift = routed.getSideOutput(DRIFT)
        .broadcast(LabelRequestOperator.DRIFT_STATE);
    SingleOutputStreamOperator<Candidate> chosen = routed
        .keyBy(r -> r.entity)
        .connect(drift)
        .process(new LabelRequestOperator(cfg))
        .uid(UID_ENTITY).name("entity label requests");

    SingleOutputStreamOperator<Candidate> released = chosen
        .keyBy(c -> 0, Types.INT)
        .process(new GlobalBudgetOperator(cfg.globalBudget()))
        .setParallelism(1).setMaxParallelism(1)
        .uid(UID_BUDGET).name("global label budget");

    beforeSink.apply(released).sinkTo(requests).setParallelism(1)
        .uid(UID_SINK).name("label requests (Kafka, exactly-once)");
    routed.getSideOutput(REFUSED).map(LabelRequestJob::deadLetter).returns(TypeInformation.of(DeadLetter.class))
        .name("dead letters").sinkTo(dlq).uid(UID_DLQ).name("dead letters (Kafka)");
  }

  private static WatermarkStrategy<RequestInput> data(Duration outOfOrderness, Duration idleness) {
    return WatermarkStrategy.<RequestInput>forBoundedOutOfOrderness(outOfOrderness)
        .withTimestampAssigner((r, kafkaTs) -> r.time)
        .withIdleness(idleness);
  }

  /** Refused records to one side output, drift reports to another, the rest on. */
  static final class Router extends ProcessFunction<RequestInput, RequestInput> {
    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(RequestInput r, Context ctx, Collector<RequestInput> out) {
      if (r.failed()) {
        ctx.output(REFUSED, r);
      } else if (r.kind == Kind.DRIFT) {
        ctx.output(DRIFT, r);
      } else {
        out.collect(r);
      }
    }
  }

  /**
   * Watermarks for labels and drift reports: none, and the source is idle for watermarking, so it
   * never holds the data inputs' event time back (its records still flow).
   */
  static final class AlwaysIdle implements WatermarkGenerator<RequestInput> {
    @Override
    public void onEvent(RequestInput event, long eventTimestamp, WatermarkOutput output) {}

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
      output.markIdle();
    }
  }

  // ---- Kafka wiring ----

  /** The Kafka sources of the five inputs, in one consumer group, read_committed. */
  public static Sources kafkaSources(LabelRequestConfig cfg, boolean bounded) {
    LabelRequestConfig.Topics t = cfg.topics();
    return new Sources(source(cfg, t.telemetry(), Kind.TELEMETRY, bounded),
        source(cfg, t.features(), Kind.FEATURES, bounded),
        source(cfg, t.predictions(), Kind.PREDICTION, bounded),
        source(cfg, t.labels(), Kind.LABEL, bounded),
        source(cfg, t.drift(), Kind.DRIFT, bounded));
  }

  static KafkaSource<RequestInput> source(LabelRequestConfig cfg, String topic, Kind kind, boolean bounded) {
    return KafkaSources.builder(cfg.bootstrapServers(), topic, cfg.groupId(), new InputDecoder(kind), bounded)
        .setProperty("client.id.prefix", cfg.groupId() + "-" + kind.name().toLowerCase(java.util.Locale.ROOT))
        .build();
  }

  public static KafkaSink<Candidate> requestSink(LabelRequestConfig cfg) {
    return KafkaSinks.exactlyOnce(cfg.bootstrapServers(), new RequestSerializer(cfg.topics().labelRequests()), cfg.transactionalIdPrefix() + "-requests",
        cfg.transactionTimeout());
  }

  public static KafkaSink<DeadLetter> dlqSink(LabelRequestConfig cfg) {
    return KafkaSinks.exactlyOnce(cfg.bootstrapServers(), AvroRecords.deadLetters(cfg.topics().dlq()), cfg.transactionalIdPrefix() + "-dlq",
        cfg.transactionTimeout());
  }

  /** Checkpoint storage of the job. */
  public static Configuration flinkConfiguration(LabelRequestConfig cfg) {
    return JobSetup.checkpointStorage(cfg.checkpointDir(), null, null, null, true);
  }

  public static void configure(StreamExecutionEnvironment env, LabelRequestConfig cfg) {
    env.configure(flinkConfiguration(cfg));
    env.enableCheckpointing(cfg.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    env.getConfig().setAutoWatermarkInterval(50);
    if (cfg.parallelism() > 0) {
      env.setParallelism(cfg.parallelism());
    }
  }

  /** Entry point for {@code flink run}, the REST API and {@code vigil submit label-requests}: {@code [--config FILE]}. */
  public static void main(String[] args) throws Exception {
    Path file = JobSetup.configFile(args);
    LabelRequestConfig cfg = LabelRequestConfig.loader().load(file, System.getenv());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(cfg));
    configure(env, cfg);
    build(env, cfg, kafkaSources(cfg, false), requestSink(cfg), dlqSink(cfg));
    env.execute(cfg.jobName());
  }

  /** Key = sample id, value = the single-object-encoded LabelRequest. */
  static final class RequestSerializer implements KafkaRecordSerializationSchema<Candidate> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    RequestSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Candidate c, KafkaSinkContext ctx, Long ts) {
      ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, c.sampleId.getBytes(StandardCharsets.UTF_8), c.payload);
      TraceContext.addTo(r.headers(), c.traceparent, c.tracestate);
      return r;
    }
  }

  /** The dead-letter record of a refused input: raw bytes, source position, code and reason. */
  static DeadLetter deadLetter(RequestInput r) {
    return DeadLetter.newBuilder()
        .setSourceTopic(r.topic == null ? "" : r.topic)
        .setPartition(r.partition)
        .setOffset(r.offset)
        .setKey(r.rawKey == null ? null : ByteBuffer.wrap(r.rawKey))
        .setValue(r.value == null ? null : ByteBuffer.wrap(r.value))
        .setHeaders(RecordHeaders.toMap(r.headers))
        .setStage(DLQ_STAGE)
        .setErrorCode(r.errorCode)
        .setReason(r.reason)
        .setFailedAt(Instant.now())
        .build();
  }
}
