package io.vigil.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.schemas.topics.TopicInstaller;
import io.vigil.schemas.topics.TopicNames;
import io.vigil.schemas.topics.VigilTopic;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RecordsRoundTripThroughKafkaTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @Test
  void everyContractRecordRoundTripsThroughARealBroker() {
    List<SpecificRecordBase> sent = ExampleRecords.all();
    assertThat(sent).extracting(Object::getClass).containsExactlyElementsOf(VigilRecords.ALL);

    Map<String, Object> pc = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pc)) {
      for (SpecificRecordBase r : sent) {
        producer.send(new ProducerRecord<>("roundtrip." + r.getClass().getSimpleName(), encode(r)));
      }
      producer.flush();
    }

    for (SpecificRecordBase r : sent) {
      String topic = "roundtrip." + r.getClass().getSimpleName();
      SpecificRecordBase back = consumeOne(topic, r.getClass());
      assertThat(back).as(topic).isEqualTo(r);
    }
  }

  @Test
  void installerCreatesEveryTopicWithItsPartitionsAndConfigsAndIsIdempotent() throws Exception {
    try (Admin admin = KAFKA.kafka().admin()) {
      TopicInstaller installer = new TopicInstaller(admin, TopicNames.defaults(), (short) 1);
      assertThat(installer.ensureAll()).hasSize(VigilTopic.values().length);
      assertThat(installer.ensureAll()).isEmpty();

      Map<String, TopicDescription> topics = admin.describeTopics(
          List.of("vigil.telemetry", "vigil.labels")).allTopicNames().get(30, TimeUnit.SECONDS);
      assertThat(topics.get("vigil.telemetry").partitions()).hasSize(VigilTopic.TELEMETRY.partitions());
      ConfigResource labels = new ConfigResource(ConfigResource.Type.TOPIC, "vigil.labels");
      String retention = admin.describeConfigs(List.of(labels)).all().get(30, TimeUnit.SECONDS)
          .get(labels).get("retention.ms").value();
      assertThat(retention).isEqualTo("-1");
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends SpecificRecordBase> byte[] encode(T record) {
    return AvroSerde.of((Class<T>) record.getClass()).encode(record);
  }

  private <T extends SpecificRecordBase> T consumeOne(String topic, Class<T> type) {
    AvroSerde<T> serde = AvroSerde.of(type);
    Map<String, Object> cc = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "rt-" + topic,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    List<T> got = new ArrayList<>();
    try (KafkaConsumer<byte[], T> consumer =
        new KafkaConsumer<>(cc, new ByteArrayDeserializer(), serde.deserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (got.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], T> rec : consumer.poll(Duration.ofMillis(200))) {
          got.add(rec.value());
        }
      }
    }
    assertThat(got).as(topic).hasSize(1);
    return got.get(0);
  }
}
