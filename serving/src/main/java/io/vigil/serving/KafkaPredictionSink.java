package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.vigil.features.MetricAttributions;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.TraceContext;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs every answer as an Avro {@link Prediction} on {@code vigil.predictions}, keyed by entity —
 * off the request path: requests put entries in a bounded buffer (dropping and counting when it is
 * full), one thread turns them into records and hands them to the Kafka producer. When Kafka is
 * down, the producer blocks only that thread (at most {@code max.block.ms} per record) and the
 * buffer's overflow is counted, never waited for.
 */
public final class KafkaPredictionSink implements PredictionSink {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaPredictionSink.class);
  private static final int DRAIN = 512;

  private final Producer<String, Prediction> producer;
  private final String topic;
  private final ServingMetrics metrics;
  private final BlockingQueue<PredictionEntry> buffer;
  private final Thread sender;
  private volatile boolean closing;

  public KafkaPredictionSink(Producer<String, Prediction> producer, String topic, int bufferSize,
      ServingMetrics metrics) {
    this.producer = requireNonNull(producer, "producer");
    this.topic = requireNonNull(topic, "topic");
    this.metrics = requireNonNull(metrics, "metrics");
    this.buffer = new ArrayBlockingQueue<>(bufferSize);
    this.sender = new Thread(this::send, "prediction-log");
    sender.setDaemon(true);
    sender.start();
  }

  /** A producer for {@code bootstrapServers} that never blocks its caller for long. */
  public static KafkaPredictionSink create(String bootstrapServers, String topic, int bufferSize,
      ServingMetrics metrics) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-serving-predictions");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    KafkaProducer<String, Prediction> producer = new KafkaProducer<>(p, new StringSerializer(),
        AvroSerde.of(Prediction.class).serializer());
    return new KafkaPredictionSink(producer, topic, bufferSize, metrics);
  }

  @Override
  public boolean offer(PredictionEntry entry) {
    if (closing || !buffer.offer(entry)) {
      metrics.predictionDropped();
      return false;
    }
    return true;
  }

  private void send() {
    List<PredictionEntry> batch = new ArrayList<>(DRAIN);
    while (!closing || !buffer.isEmpty()) {
      try {
        PredictionEntry first = buffer.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        buffer.drainTo(batch, DRAIN - 1);
        for (PredictionEntry e : batch) {
          publish(e);
        }
        batch.clear();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void publish(PredictionEntry e) {
    Prediction record = toRecord(e);
    try {
      ProducerRecord<String, Prediction> out = new ProducerRecord<>(topic, record.getEntity(), record);
      TraceContext.addTo(out.headers(), e.traceparent(), e.tracestate());
      producer.send(out, (meta, error) -> {
        if (error == null) {
          metrics.predictionLogged();
        } else {
          metrics.predictionFailed();
          LOG.debug("prediction not accepted by Kafka sampleId={}: {}", record.getSampleId(), error.toString());
        }
      });
    } catch (KafkaException ex) {
      metrics.predictionFailed();
      LOG.debug("prediction not handed to Kafka sampleId={}: {}", record.getSampleId(), ex.toString());
    }
  }

  /** The fold of the last model logged (the log has one thread; a swap replaces it). */
  private static volatile Fold lastFold;

  private record Fold(List<String> featureNames, MetricAttributions fold) {}

  /**
   * The row's attributions as the {@code Prediction} contract has them: per raw metric (the feature
   * library's fold over the model's input names, as the scoring stage folds them), positive shares
   * largest first.
   */
  static Map<String, Double> perMetric(PredictionEntry e) {
    if (e.attributions() == null) {
      return Map.of();
    }
    List<String> names = e.spec().inputs().featureNames();
    Fold f = lastFold;
    if (f == null || f.featureNames() != names) {
      f = new Fold(names, MetricAttributions.fromNames(names));
      lastFold = f;
    }
    MetricAttributions fold = f.fold();
    return fold.top(fold.perMetric(e.attributions(), 0, names.size()), MetricAttributions.PREDICTION_MAX);
  }

  static Prediction toRecord(PredictionEntry e) {
    Instant at = Instant.ofEpochMilli(e.predictedAtMillis());
    Map<String, Double> attributions = perMetric(e);
    double threshold = e.spec().scale().threshold();
    return Prediction.newBuilder()
        .setSampleId(e.sampleId())
        .setEntity(e.entity())
        .setWindowStart(e.windowStartMillis() == null ? at : Instant.ofEpochMilli(e.windowStartMillis()))
        .setWindowEnd(e.windowEndMillis() == null ? at : Instant.ofEpochMilli(e.windowEndMillis()))
        .setModelName(e.model().name())
        .setModelVersion(e.model().version())
        .setModelAlias(e.model().alias())
        .setScore(e.score())
        .setProbability(e.probability() == null ? null : (double) e.probability())
        .setUncertainty(e.uncertainty())
        .setThreshold(threshold)
        .setAnomaly(e.score() >= threshold)
        .setAttributions(attributions)
        .setLatencyMicros(e.latencyMicros())
        .setPredictedAt(at)
        .setShadow(e.shadow())
        .setFeatureSetVersion(e.spec().inputs().featureSetVersion())
        .build();
  }

  /** Sends what is buffered (for at most {@code grace}), then closes the producer. */
  public void close(Duration grace) {
    closing = true;
    try {
      sender.join(Math.max(1, grace.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (sender.isAlive()) {
      sender.interrupt();
    }
    int left = buffer.size();
    if (left > 0) {
      LOG.warn("{} predictions not logged at shutdown", left);
    }
    producer.close(grace);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
