package io.vigil.cli;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The Kafka clients the launcher uses, with their settings in one place. */
public final class KafkaClients {

  private KafkaClients() {}

  /** An idempotent producer of entity-keyed Avro bytes: acks from all replicas, batched, lz4. */
  public static KafkaProducer<String, byte[]> producer(String bootstrapServers, String clientId) {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    c.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
    return new KafkaProducer<>(c, new StringSerializer(), new ByteArraySerializer());
  }

  public static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000));
  }
}
