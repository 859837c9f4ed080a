package io.vigil.streamio;

import java.time.Duration;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;

/**
 * The exactly-once Kafka sinks of Vigil's jobs: records are committed with the checkpoint that
 * covers them (readers use {@code read_committed}), each sink under its own transactional-id prefix,
 * with a transaction timeout that must stay under the broker's maximum (15 minutes by default).
 */
public final class KafkaSinks {

  private KafkaSinks() {}

  /**
   * @param transactionalIdPrefix unique per sink of a job (and per job on a cluster)
   * @param transactionTimeout how long a transaction may stay open: more than a checkpoint interval,
   *     less than the broker's {@code transaction.max.timeout.ms}
   */
  public static <T> KafkaSink<T> exactlyOnce(String bootstrapServers, KafkaRecordSerializationSchema<T> serializer,
      String transactionalIdPrefix, Duration transactionTimeout) {
    return exactlyOnce(bootstrapServers, serializer, transactionalIdPrefix, transactionTimeout, 0);
  }

  /** The same with producer batches of up to {@code batchBytes} (0 = the producer's default), for high rates. */
  public static <T> KafkaSink<T> exactlyOnce(String bootstrapServers, KafkaRecordSerializationSchema<T> serializer,
      String transactionalIdPrefix, Duration transactionTimeout, int batchBytes) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(bootstrapServers)
        .setRecordSerializer(serializer)
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(transactionalIdPrefix)
        .setKafkaProducerConfig(producerProperties(transactionTimeout, batchBytes))
        .build();
  }

  /** The broker's default {@code transaction.max.timeout.ms}. */
  public static final Duration BROKER_MAX_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

  /**
   * Checks a job's transaction timeout against its checkpoint interval: a transaction stays open from
   * one checkpoint to the next, so the timeout must be longer than the interval (or the broker aborts
   * records the job still counts as written), and under the broker's maximum (or the producer is
   * refused at start).
   *
   * @throws IllegalArgumentException naming the key {@code transactionTimeout}
   */
  public static void checkTransactionTimeout(Duration transactionTimeout, Duration checkpointInterval) {
    if (transactionTimeout == null || transactionTimeout.isNegative() || transactionTimeout.isZero()) {
      throw new IllegalArgumentException("transactionTimeout must be positive: " + transactionTimeout);
    }
    if (transactionTimeout.compareTo(BROKER_MAX_TRANSACTION_TIMEOUT) >= 0) {
      throw new IllegalArgumentException("transactionTimeout must stay under the broker's"
          + " transaction.max.timeout.ms (15 min by default): " + transactionTimeout);
    }
    if (checkpointInterval != null && transactionTimeout.compareTo(checkpointInterval) <= 0) {
      throw new IllegalArgumentException("transactionTimeout must be longer than checkpointInterval");
    }
  }

  /** Transaction timeout, lz4, lingering 20 ms, batches of up to {@code batchBytes} (0 = default). */
  public static Properties producerProperties(Duration transactionTimeout, int batchBytes) {
    Properties p = new Properties();
    p.setProperty("transaction.timeout.ms", Long.toString(transactionTimeout.toMillis()));
    p.setProperty("compression.type", "lz4");
    p.setProperty("linger.ms", "20");
    if (batchBytes > 0) {
      p.setProperty("batch.size", Integer.toString(batchBytes));
    }
    return p;
  }
}
