package io.vigil.streamio;

import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The Kafka sources of Vigil's jobs: they read what the exactly-once sinks committed
 * ({@code read_committed}), start from the group's committed offsets (the earliest ones for a new
 * group; a restored job starts from its checkpoint instead), find new partitions every 30 s, and
 * fetch in pieces small enough for the JVM's young generation.
 *
 * <p>Fetch sizes: the consumer reads each fetch response into one heap array of its size. With the
 * consumer's defaults (1 MiB per partition) a catching-up reader's responses are 1 MiB and more, which
 * G1 allocates as humongous objects (half a region or more: 1 MiB regions on heaps up to 2 GiB, 2 MiB
 * up to 4 GiB). Each of those goes straight to the old generation and may start a concurrent marking
 * cycle (in {@code vigil bench drift --warmups 1}, the drift job's feature reader made 560 such arrays;
 * in an earlier run, 24 of 28 concurrent cycles were started by humongous allocations). Responses of at most
 * {@link #FETCH_MAX_BYTES} stay in the young generation with any G1 region size (1 MiB at least).
 * The price: a reader has one fetch in flight per broker, so over a link with a long round trip it
 * reads at most {@code FETCH_MAX_BYTES} per round trip and broker (about 9 MB/s at 50 ms).
 */
public final class KafkaSources {

  /**
   * Most bytes in one fetch response ({@code fetch.max.bytes}, default 50 MiB) and per partition in
   * one fetch ({@code max.partition.fetch.bytes}, default 1 MiB): the response limit bounds the sum
   * (Kafka shares a response between partitions from fetch to fetch, KIP-74).
   */
  public static final int FETCH_MAX_BYTES = 448 * 1024;

  private KafkaSources() {}

  /**
   * A source reading {@code topic} with {@code deserializer}; {@code bounded} stops at the offsets
   * that are the latest when the job starts (replays and tests).
   */
  public static <T> KafkaSourceBuilder<T> builder(String bootstrapServers, String topic, String groupId,
      KafkaRecordDeserializationSchema<T> deserializer, boolean bounded) {
    KafkaSourceBuilder<T> b = KafkaSource.<T>builder()
        .setBootstrapServers(bootstrapServers)
        .setTopics(topic)
        .setGroupId(groupId)
        .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
        .setDeserializer(deserializer)
        .setProperty("isolation.level", "read_committed")
        .setProperty("partition.discovery.interval.ms", "30000")
        .setProperty("max.partition.fetch.bytes", Integer.toString(FETCH_MAX_BYTES))
        .setProperty("fetch.max.bytes", Integer.toString(FETCH_MAX_BYTES));
    if (bounded) {
      b.setBounded(OffsetsInitializer.latest());
    }
    return b;
  }
}
