package io.vigil.cli.replay;

import static java.util.Objects.requireNonNull;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetFormat;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Interleaved;
import io.vigil.datasets.Row;
import io.vigil.schemas.EntityKind;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

/**
 * Replays a dataset to Kafka as {@link TelemetrySample}s: every entity interleaved in event-time
 * order, at full speed or paced at N times real time.
 *
 * <p>The whole input is read once before anything is sent, so malformed input stops the replay
 * with {@code file:line} before a single record is written. If sending fails midway (broker gone),
 * the replay stops and the {@link ReplayException} says how many records the broker had
 * acknowledged; replaying again is safe downstream because sample ids are deterministic.
 */
public final class Replayer {

  /**
   * @param speed times real time; 0 = as fast as possible
   * @param fromSequence send only rows with a sequence at least this (per entity)
   * @param untilSequence and below this
   */
  public record Options(double speed, long fromSequence, long untilSequence) {
    public Options {
      if (speed < 0 || !Double.isFinite(speed)) {
        throw new IllegalArgumentException("speed must be >= 0 (0 = full speed): " + speed);
      }
      if (fromSequence < 0 || untilSequence < fromSequence) {
        throw new IllegalArgumentException("need 0 <= fromSequence <= untilSequence");
      }
    }

    /** Every row. */
    public Options(double speed) {
      this(speed, 0, Long.MAX_VALUE);
    }
  }

  /** What a finished replay did. */
  public record Result(long records, int entities, Duration elapsed) {
    public double recordsPerSecond() {
      double s = elapsed.toNanos() / 1e9;
      return s <= 0 ? 0 : records / s;
    }
  }

  /** Told how the replay goes: the total once known, then progress. */
  public interface Progress {
    Progress NONE = new Progress() {};

    default void started(long totalRecords) {}

    default void advanced(long sentRecords) {}
  }

  private final Producer<String, byte[]> producer;
  private final String topic;
  private volatile boolean stopRequested;
  private final AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);

  public Replayer(Producer<String, byte[]> producer, String topic) {
    this.producer = requireNonNull(producer, "producer");
    this.topic = requireNonNull(topic, "topic");
  }

  public Result replay(Dataset dataset, Options options, Progress progress) {
    requireNonNull(dataset, "dataset");
    long total = dataset.validate();
    progress.started(total);
    long t0 = System.nanoTime();
    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    EntityKind kind = kindOf(dataset.format());
    String datasetTag = dataset.format().name().toLowerCase(Locale.ROOT);
    Map<String, String> tags = Map.of("dataset", datasetTag);

    Interleaved rows = new Interleaved(dataset.entities());
    Instant firstEventTime = null;
    long sent = 0;
    while (rows.hasNext() && failure.get() == null && !stopRequested) {
      Interleaved.EntityRow er = rows.next();
      Row row = er.row();
      if (row.sequence() < options.fromSequence() || row.sequence() >= options.untilSequence()) {
        continue;
      }
      if (firstEventTime == null) {
        firstEventTime = row.time();
      }
      if (options.speed() > 0) {
        pace(t0, firstEventTime, row.time(), options.speed());
      }
      TelemetrySample sample = toSample(er.series(), row, kind, tags);
      // the record timestamp stays the send time: event time is in the payload, and historical
      // event times as record timestamps would make Kafka's retention delete the replay at once
      ProducerRecord<String, byte[]> rec = new ProducerRecord<>(topic, sample.getEntity(), serde.encode(sample));
      try {
        producer.send(rec, (meta, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          } else {
            acked.incrementAndGet();
          }
        });
      } catch (KafkaException | IllegalStateException e) {
        failure.compareAndSet(null, e);
        break;
      }
      sent++;
      if ((sent & 1023) == 0) {
        progress.advanced(sent);
      }
    }
    producer.flush();
    progress.advanced(sent);
    Exception e = failure.get();
    if (e != null) {
      throw new ReplayException("sending to " + topic + " failed after " + acked.get() + " of "
          + total + " records were acknowledged (" + e.getMessage() + "); replaying again is safe:"
          + " sample ids are deterministic", e);
    }
    if (stopRequested) {
      throw new ReplayException("replay stopped on request after " + acked.get() + " of " + total
          + " records were acknowledged", null);
    }
    return new Result(acked.get(), dataset.entities().size(), Duration.ofNanos(System.nanoTime() - t0));
  }

  /** Asks a running replay to stop after the record in flight; safe from any thread. */
  public void stop() {
    stopRequested = true;
  }

  /** The TelemetrySample of one dataset row: metric names from the series, source {@code file:line}. */
  public static TelemetrySample toSample(EntitySeries series, Row row, EntityKind kind, Map<String, String> tags) {
    List<String> names = series.metricNames();
    double[] values = row.values();
    Map<String, Double> metrics = new HashMap<>(names.size() * 2);
    for (int i = 0; i < values.length; i++) {
      metrics.put(names.get(i), values[i]);
    }
    return TelemetrySample.newBuilder()
        .setEntity(series.entity())
        .setEntityKind(kind)
        .setEventTime(row.time())
        .setMetrics(metrics)
        .setTags(tags)
        .setSource(row.source())
        .setSequence(row.sequence())
        .build();
  }

  private static EntityKind kindOf(DatasetFormat format) {
    return switch (format) {
      case SMD -> EntityKind.HOST;
      case JUMPSTARTER -> EntityKind.SERVICE;
      case NAB -> EntityKind.OTHER;
    };
  }

  private static void pace(long t0, Instant first, Instant now, double speed) {
    long dueNanos = (long) (Duration.between(first, now).toNanos() / speed);
    long wait = t0 + dueNanos - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ReplayException("replay interrupted", e);
      }
    }
  }
}
