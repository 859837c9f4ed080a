package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

import io.vigil.features.FeatureSet;
import io.vigil.schemas.DeadLetter;
import io.vigil.pipeline.FeatureJobConfig;
import io.vigil.streamio.AvroRecords;
import io.vigil.streamio.JobSetup;
import io.vigil.streamio.KafkaSinks;
import io.vigil.streamio.KafkaSources;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The scoring job: {@code vigil.features} → decode (unreadable records to the DLQ) → Flink async
 * I/O calling the serving process ({@link ScoringFunction}: retries, circuit breaker, nothing
 * dropped) → incident flags ({@link IncidentFlags}, keyed by entity, following {@code vigil.labels};
 * left out when no labels source is given) → {@code vigil.predictions} (exactly-once, key = entity)
 * and {@code vigil.dlq.scoring} (vectors the server refused for good, unreadable labels). Sources and
 * sinks are parameters of {@link #build}, so tests plug in their own; {@link #main} wires the Kafka
 * ones from the configuration.
 */
public final class ScoringJob {

  /** Operator uids: stable across versions, so savepoints restore into new builds. */
  static final String UID_SOURCE = "vectors-source";
  static final String UID_DECODE = "decode-router";
  static final String UID_SCORING = "scoring";
  static final String UID_OUTCOMES = "outcome-router";
  static final String UID_SINK = "predictions-sink";
  static final String UID_DLQ = "dlq-sink";
  static final String UID_LABELS = "labels-source";
  static final String UID_LABEL_ROUTER = "label-router";
  static final String UID_INCIDENTS = "incident-flags";

  /** Stage named in dead letters of unreadable records. */
  static final String STAGE_DECODE = "scoring/decode";

  /**
   * The async operator's own timeout: only a watchdog (see {@link ScoringFunction#timeout}); a
   * vector is retried until it is scored or refused, however long that takes.
   */
  static final Duration WATCHDOG = Duration.ofHours(1);

  static final OutputTag<DeadLetter> DEAD =
      new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

  private ScoringJob() {}

  /** Wires the job into {@code env}, without incident flags. */
  public static void build(StreamExecutionEnvironment env, ScoringJobConfig cfg, FeatureSet set,
      Source<ScoringInput, ?, ?> source, Sink<ScoredPrediction> predictions, Sink<DeadLetter> dlq) {
    build(env, cfg, set, source, null, predictions, dlq, UnaryOperator.identity());
  }

  /** Wires the job into {@code env}; with a {@code labels} source, the predictions carry incident flags. */
  public static void build(StreamExecutionEnvironment env, ScoringJobConfig cfg, FeatureSet set,
      Source<ScoringInput, ?, ?> source, Source<LabelSignal, ?, ?> labels, Sink<ScoredPrediction> predictions,
      Sink<DeadLetter> dlq) {
    build(env, cfg, set, source, labels, predictions, dlq, UnaryOperator.identity());
  }

  /**
   * As above, with {@code beforeSinks} applied to the prediction stream before its sink (tests use
   * it to inject failures; production passes the identity).
   */
  static void build(StreamExecutionEnvironment env, ScoringJobConfig cfg, FeatureSet set,
      Source<ScoringInput, ?, ?> source, Source<LabelSignal, ?, ?> labels, Sink<ScoredPrediction> predictions,
      Sink<DeadLetter> dlq, UnaryOperator<DataStream<ScoredPrediction>> beforeSinks) {
    requireNonNull(set, "set");
    DataStream<ScoringInput> vectors = env.fromSource(source, WatermarkStrategy.noWatermarks(), "features")
        .uid(UID_SOURCE).name("feature vectors (Kafka)");

    SingleOutputStreamOperator<ScoringInput> valid = vectors
        .process(new DecodeRouter()).uid(UID_DECODE).name("route unreadable records");

    ScoringFunction scoring = new ScoringFunction(cfg, new PredictionAttributions(set));
    long watchdog = WATCHDOG.toMillis();
    int capacity = cfg.async().capacity();
    SingleOutputStreamOperator<ScoringOutcome> outcomes =
        cfg.async().ordering() == ScoringJobConfig.Ordering.ORDERED
            ? AsyncDataStream.orderedWait(valid, scoring, watchdog, TimeUnit.MILLISECONDS, capacity)
            : AsyncDataStream.unorderedWait(valid, scoring, watchdog, TimeUnit.MILLISECONDS, capacity);
    outcomes.uid(UID_SCORING).name("score (serving, async gRPC)");

    SingleOutputStreamOperator<ScoredPrediction> scored = outcomes
        .process(new OutcomeRouter()).uid(UID_OUTCOMES).name("route outcomes");
    DataStream<DeadLetter> dead = valid.getSideOutput(DEAD).union(scored.getSideOutput(DEAD));

    DataStream<ScoredPrediction> out = scored;
    if (labels != null) {
      SingleOutputStreamOperator<LabelSignal> answers = env
          .fromSource(labels, WatermarkStrategy.noWatermarks(), "labels").uid(UID_LABELS).name("labels (Kafka)")
          .process(new LabelRouter()).uid(UID_LABEL_ROUTER).name("route unreadable labels");
      dead = dead.union(answers.getSideOutput(DEAD));
      // keyed by entity: each entity's predictions keep their order through the shuffle
      out = scored.keyBy(new PredictionEntity())
          .connect(answers.keyBy(new LabelEntity()))
          .process(new IncidentFlags()).uid(UID_INCIDENTS).name("flag open incidents");
    }
    beforeSinks.apply(out).sinkTo(predictions).uid(UID_SINK).name("predictions (Kafka, exactly-once)");
    dead.sinkTo(dlq).uid(UID_DLQ).name("dead letters (Kafka)");
  }

  static final class PredictionEntity implements KeySelector<ScoredPrediction, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(ScoredPrediction p) {
      return p.prediction.getEntity();
    }
  }

  static final class LabelEntity implements KeySelector<LabelSignal, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(LabelSignal l) {
      return l.entity;
    }
  }

  /** Records refused on reading to the dead-letter side output, the others on; counts both. */
  abstract static class RefusalRouter<T> extends ProcessFunction<T, T> {
    private static final long serialVersionUID = 1L;
    private final String refusedCounter;
    private transient Counter refused;
    private transient Counter deadLetters;

    RefusalRouter(String refusedCounter) {
      this.refusedCounter = refusedCounter;
    }

    /** The dead letter of a refused record; null for one that goes on. */
    abstract DeadLetter refusal(T in);

    @Override
    public void open(OpenContext ctx) {
      var g = getRuntimeContext().getMetricGroup().addGroup("scoring");
      refused = g.counter(refusedCounter);
      deadLetters = g.counter("deadLetters");
    }

    @Override
    public void processElement(T in, Context ctx, Collector<T> out) {
      DeadLetter d = refusal(in);
      if (d != null) {
        refused.inc();
        deadLetters.inc();
        ctx.output(DEAD, d);
      } else {
        out.collect(in);
      }
    }
  }

  /** Unreadable labels to the side output, the others on. */
  static final class LabelRouter extends RefusalRouter<LabelSignal> {
    private static final long serialVersionUID = 1L;

    LabelRouter() {
      super("unreadableLabels");
    }

    @Override
    DeadLetter refusal(LabelSignal in) {
      return in.refused;
    }
  }

  /** Unreadable records to the side output, vectors on. */
  static final class DecodeRouter extends RefusalRouter<ScoringInput> {
    private static final long serialVersionUID = 1L;

    DecodeRouter() {
      super("unreadable");
    }

    @Override
    DeadLetter refusal(ScoringInput in) {
      return in.failed() ? ScoringFunction.deadLetter(in, in.errorCode, in.reason) : null;
    }
  }

  /** Predictions on, dead letters to the side output; counts both. */
  static final class OutcomeRouter extends ProcessFunction<ScoringOutcome, ScoredPrediction> {
    private static final long serialVersionUID = 1L;
    private transient Counter predictions;
    private transient Counter deadLetters;
    private transient Counter anomalies;

    @Override
    public void open(OpenContext ctx) {
      var g = getRuntimeContext().getMetricGroup().addGroup("scoring");
      predictions = g.counter("predictions");
      deadLetters = g.counter("deadLetters");
      anomalies = g.counter("anomalies");
    }

    @Override
    public void processElement(ScoringOutcome o, Context ctx, Collector<ScoredPrediction> out) {
      if (o.prediction != null) {
        predictions.inc();
        if (o.prediction.getAnomaly()) {
          anomalies.inc();
        }
        out.collect(ScoredPrediction.of(o.prediction, o.traceparent, o.tracestate));
      } else {
        deadLetters.inc();
        ctx.output(DEAD, o.deadLetter);
      }
    }
  }

  // ---- Kafka wiring ----

  /** The features topic from the group's committed offsets (the earliest at first start). */
  public static KafkaSource<ScoringInput> kafkaSource(ScoringJobConfig cfg) {
    return kafkaSource(cfg, false);
  }

  /** As above; {@code bounded} stops at the offsets that are the latest at start (tests, backfills). */
  public static KafkaSource<ScoringInput> kafkaSource(ScoringJobConfig cfg, boolean bounded) {
    return source(cfg, cfg.featuresTopic(), new VectorDecoder(), bounded);
  }

  /**
   * The labels topic from the group's committed offsets (the earliest at first start, so a new job
   * knows every incident still open); null when {@code labelsTopic} is blank (no incident flags).
   * {@code bounded} stops at the offsets that are the latest at start.
   */
  public static KafkaSource<LabelSignal> labelsSource(ScoringJobConfig cfg, boolean bounded) {
    return cfg.labelsTopic() == null ? null : source(cfg, cfg.labelsTopic(), new LabelSignalDecoder(), bounded);
  }

  private static <T> KafkaSource<T> source(ScoringJobConfig cfg, String topic,
      KafkaRecordDeserializationSchema<T> decoder, boolean bounded) {
    return KafkaSources.builder(cfg.bootstrapServers(), topic, cfg.groupId(), decoder, bounded).build();
  }

  public static KafkaSink<ScoredPrediction> predictionSink(ScoringJobConfig cfg) {
    return KafkaSinks.exactlyOnce(cfg.bootstrapServers(), new ScoredPredictionSerializer(cfg.predictionsTopic()),
        cfg.transactionalIdPrefix() + "-predictions", cfg.transactionTimeout());
  }

  public static KafkaSink<DeadLetter> dlqSink(ScoringJobConfig cfg) {
    return KafkaSinks.exactlyOnce(cfg.bootstrapServers(), AvroRecords.deadLetters(cfg.dlqTopic()), cfg.transactionalIdPrefix() + "-dlq",
        cfg.transactionTimeout());
  }

  /** Checkpointing and file-system settings of the job. */
  public static Configuration flinkConfiguration(ScoringJobConfig cfg) {
    FeatureJobConfig.S3 s3 = cfg.s3();
    return s3 == null ? JobSetup.checkpointStorage(cfg.checkpointDir(), null, null, null, true)
        : JobSetup.checkpointStorage(cfg.checkpointDir(), s3.endpoint(), s3.accessKey(), s3.secretKey(), s3.pathStyle());
  }

  public static void configure(StreamExecutionEnvironment env, ScoringJobConfig cfg) {
    env.configure(flinkConfiguration(cfg));
    env.enableCheckpointing(cfg.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
    // while serving is down the async queue is full and barriers wait behind it: a checkpoint that
    // times out then must not fail the job (nothing is lost either way; the job just waits)
    env.getCheckpointConfig().setTolerableCheckpointFailureNumber(Integer.MAX_VALUE);
    if (cfg.parallelism() > 0) {
      env.setParallelism(cfg.parallelism());
    }
  }

  /** Entry point for {@code flink run}, the REST API and {@code vigil submit scoring}: {@code [--config FILE]}. */
  public static void main(String[] args) throws Exception {
    Path file = JobSetup.configFile(args);
    ScoringJobConfig cfg = ScoringJobConfig.loader().load(file, System.getenv());
    FeatureSet set = cfg.featureSetFile() == null ? FeatureSet.smdDefault()
        : FeatureSet.load(Path.of(cfg.featureSetFile()));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(cfg));
    configure(env, cfg);
    build(env, cfg, set, kafkaSource(cfg), labelsSource(cfg, false), predictionSink(cfg), dlqSink(cfg));
    env.execute(cfg.jobName());
  }
}
