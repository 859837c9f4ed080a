package io.vigil.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.messages.Item;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.embedded.junit.S3ServerExtension;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedServicesTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();

  @Test
  void brokerAcceptsTransactionalWritesAndConsumerGroupReads() throws Exception {
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic("t1", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    Map<String, Object> pc =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
            ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-test",
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pc)) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>("t1", "k" + i, "v" + i));
      }
      producer.commitTransaction();
    }
    Map<String, Object> cc =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "g1",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cc)) {
      consumer.subscribe(List.of("t1"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (values.size() < 10 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
    }
    assertThat(values).hasSize(10).contains("v0", "v9");
  }

  @Test
  void minioSdkCanPutGetListAndDeleteAgainstTheEmbeddedServer() throws Exception {
    EmbeddedS3 s3 = S3.s3();
    MinioClient minio =
        MinioClient.builder()
            .endpoint(s3.endpoint())
            .credentials(s3.accessKey(), s3.secretKey())
            .region("us-east-1")
            .build();
    minio.makeBucket(MakeBucketArgs.builder().bucket("models").build());
    assertThat(minio.bucketExists(BucketExistsArgs.builder().bucket("models").build())).isTrue();

    byte[] body = "weights".repeat(1000).getBytes(StandardCharsets.UTF_8);
    minio.putObject(
        PutObjectArgs.builder().bucket("models").object("m/1/model.params")
            .stream(new ByteArrayInputStream(body), body.length, -1).build());
    assertThat(minio.statObject(StatObjectArgs.builder().bucket("models").object("m/1/model.params").build()).size())
        .isEqualTo(body.length);
    try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket("models").object("m/1/model.params").build())) {
      assertThat(in.readAllBytes()).isEqualTo(body);
    }
    try (InputStream in = minio.getObject(
        GetObjectArgs.builder().bucket("models").object("m/1/model.params").offset(7L).length(7L).build())) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("weights");
    }
    List<String> names = new ArrayList<>();
    for (Result<Item> r : minio.listObjects(ListObjectsArgs.builder().bucket("models").prefix("m/").recursive(true).build())) {
      names.add(r.get().objectName());
    }
    assertThat(names).containsExactly("m/1/model.params");

    minio.removeObject(RemoveObjectArgs.builder().bucket("models").object("m/1/model.params").build());
    List<String> after = new ArrayList<>();
    for (Result<Item> r : minio.listObjects(ListObjectsArgs.builder().bucket("models").recursive(true).build())) {
      after.add(r.get().objectName());
    }
    assertThat(after).isEmpty();
  }

  @Test
  void brokerRestartedOverTheSameDirectoryKeepsItsTopics(@TempDir Path dir) throws Exception {
    EmbeddedKafka.Settings settings = new EmbeddedKafka.Settings(dir, "127.0.0.1", 0, 0, Map.of());
    try (EmbeddedKafka first = EmbeddedKafka.start(settings); Admin admin = first.admin()) {
      admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    assertThat(Files.exists(dir.resolve("meta.properties"))).isTrue();
    try (EmbeddedKafka second = EmbeddedKafka.start(settings); Admin admin = second.admin()) {
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      assertThat(names).contains("kept");
    }
  }
}
