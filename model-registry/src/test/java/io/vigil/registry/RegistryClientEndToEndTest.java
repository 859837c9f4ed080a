package io.vigil.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.registry.client.AliasChange;
import io.vigil.registry.client.ArtifactChecksum;
import io.vigil.registry.client.ArtifactIntegrityException;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.DownloadedModel;
import io.vigil.registry.client.KafkaModelEventPublisher;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.Registration;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RegistryException;
import io.vigil.registry.client.RunRef;
import io.vigil.registry.server.RegistryServer;
import io.vigil.schemas.ModelEvent;
import io.vigil.schemas.ModelEventType;
import io.vigil.schemas.topics.TopicInstaller;
import io.vigil.schemas.topics.TopicNames;
import io.vigil.schemas.topics.VigilTopic;
import io.vigil.schemas.wire.AvroSerde;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Our client against the embedded server, a real S3 server and a real Kafka broker. */
class RegistryClientEndToEndTest {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @TempDir static Path dir;

  static RegistryServer server;
  static KafkaModelEventPublisher publisher;
  static RegistryClient client;
  static String topic = TopicNames.defaults().name(VigilTopic.MODEL_EVENTS);

  @BeforeAll
  static void start() throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
      new TopicInstaller(admin, TopicNames.defaults(), (short) 1).ensureAll();
    }
    server = TestServers.start(dir.resolve("db"), S3.s3());
    publisher = KafkaModelEventPublisher.create(KAFKA.bootstrapServers(), topic);
    client = new RegistryClient(ClientSettings.of(server.url(), S3.s3().endpoint(), S3.s3().accessKey(),
        S3.s3().secretKey()), publisher, Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    client.close();
    publisher.close();
    server.close();
  }

  /** A trained "model": two files in a directory. */
  static Path modelDir(String name, String content) throws Exception {
    Path d = Files.createDirectories(dir.resolve("local").resolve(name));
    Files.writeString(d.resolve("model.params"), content);
    Files.createDirectories(d.resolve("meta"));
    Files.writeString(d.resolve("meta/features.json"), "{\"featureSet\":\"fs-3\"}");
    return d;
  }

  static ModelVersionInfo trainAndRegister(String model, String content) throws Exception {
    String exp = client.experimentId("e2e-" + model);
    RunRef run = client.startRun(exp, "train-" + content.hashCode());
    client.logParam(run.runId(), "epochs", "5");
    client.logMetric(run.runId(), "f1", 0.81, 0);
    client.logMetric(run.runId(), "f1", 0.87, 1);
    client.uploadArtifacts(run.runId(), "model", modelDir(model + "-" + content.hashCode(), content));
    client.finishRun(run.runId(), true);
    return client.register(new Registration(model, run.runId(), "model", "fs-3", "labels@42",
        "s-0001..s-0999", "trained in a test", Map.of("trainer", "mlp"), "trainer-bot"));
  }

  static List<ModelEvent> awaitEvents(String model, int count) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + model + "-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ModelEvent> out = new ArrayList<>();
    try (KafkaConsumer<String, ModelEvent> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
        AvroSerde.of(ModelEvent.class).deserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, ModelEvent> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key().equals(model)) {
            assertThat(r.value().getModelName()).isEqualTo(model);
            out.add(r.value());
          }
        }
      }
    }
    return out;
  }

  @Test
  void registersAliasesDownloadsAndVerifiesTheChecksum() throws Exception {
    ModelVersionInfo v1 = trainAndRegister("anomaly-detector", "weights-v1");
    ModelVersionInfo v2 = trainAndRegister("anomaly-detector", "weights-v2");
    assertThat(v1.version()).isEqualTo("1");
    assertThat(v2.version()).isEqualTo("2");
    assertThat(v2.source()).startsWith("s3://vigil-models/mlflow/").endsWith("/artifacts/model");
    assertThat(v2.tags()).containsEntry(Registration.FEATURE_SET_TAG, "fs-3")
        .containsEntry(Registration.SNAPSHOT_TAG, "labels@42")
        .containsEntry(Registration.SAMPLE_RANGE_TAG, "s-0001..s-0999")
        .containsEntry("trainer", "mlp")
        .containsKey(ArtifactChecksum.TAG);

    client.setAlias("anomaly-detector", "champion", "1", "alice", "first model");
    AliasChange moved = client.setAlias("anomaly-detector", "champion", "2", "bob", "better f1");
    assertThat(moved.previousVersion()).contains("1");
    client.setAlias("anomaly-detector", "challenger", "1", "bob", null);
    assertThat(client.byAlias("anomaly-detector", "champion")).map(ModelVersionInfo::version).contains("2");
    assertThat(client.byAlias("anomaly-detector", "nobody")).isEmpty();

    List<AliasChange> history = client.aliasHistory("anomaly-detector", "champion");
    assertThat(history).extracting(h -> h.version().orElseThrow()).containsExactly("2", "1");
    assertThat(history.get(0).actor()).isEqualTo("bob");
    assertThat(history.get(0).reason()).contains("better f1");
    assertThat(history.get(1).previousVersion()).isEmpty();
    assertThat(client.aliasHistory("anomaly-detector", null)).hasSize(3);

    RawHttp.Response listing = RawHttp.send(java.net.URI.create(server.url()).getPort(), "GET",
        "/api/2.0/mlflow/artifacts/list?run_id=" + v2.runId() + "&path=model", null);
    assertThat(listing.status()).isEqualTo(200);
    assertThat(listing.body()).contains("\"path\":\"model/model.params\"").contains("\"path\":\"model/meta\"");

    DownloadedModel downloaded = client.downloadByAlias("anomaly-detector", "champion", dir.resolve("dl/champion"));
    assertThat(downloaded.version().version()).isEqualTo("2");
    assertThat(Files.readString(downloaded.directory().resolve("model.params"))).isEqualTo("weights-v2");
    assertThat(downloaded.directory().resolve("meta/features.json")).exists();
    assertThat(downloaded.sha256()).isEqualTo(v2.checksum().orElseThrow())
        .isEqualTo(ArtifactChecksum.ofDirectory(modelDir("anomaly-detector-check", "weights-v2")));

    client.deleteAlias("anomaly-detector", "challenger", "carol", "retired");
    assertThat(client.aliasHistory("anomaly-detector", "challenger").get(0).version()).isEmpty();

    List<ModelEvent> events = awaitEvents("anomaly-detector", 6);
    assertThat(events).extracting(ModelEvent::getType).containsExactly(ModelEventType.REGISTERED,
        ModelEventType.REGISTERED, ModelEventType.ALIAS_SET, ModelEventType.ALIAS_SET,
        ModelEventType.ALIAS_SET, ModelEventType.ALIAS_REMOVED);
    ModelEvent registered = events.get(1);
    assertThat(registered.getModelVersion()).isEqualTo("2");
    assertThat(registered.getActor()).isEqualTo("trainer-bot");
    assertThat(registered.getSource()).isEqualTo(v2.source());
    assertThat(registered.getMetrics()).containsEntry("f1", 0.87);
    ModelEvent promoted = events.get(3);
    assertThat(promoted.getAlias()).isEqualTo("champion");
    assertThat(promoted.getModelVersion()).isEqualTo("2");
    assertThat(promoted.getPreviousVersion()).isEqualTo("1");
    assertThat(promoted.getActor()).isEqualTo("bob");
    assertThat(promoted.getReason()).isEqualTo("better f1");
    assertThat(events.get(5).getAlias()).isEqualTo("challenger");
    assertThat(events.get(5).getModelVersion()).isEqualTo("1");
  }

  @Test
  void refusesATamperedArtifact() throws Exception {
    ModelVersionInfo v = trainAndRegister("tamper-target", "honest-weights");
    String key = v.source().substring("s3://vigil-models/".length()) + "/model.params";
    MinioClient minio = MinioClient.builder().endpoint(S3.s3().endpoint())
        .credentials(S3.s3().accessKey(), S3.s3().secretKey()).build();
    byte[] evil = "evil-weights".getBytes(StandardCharsets.UTF_8);
    minio.putObject(PutObjectArgs.builder().bucket("vigil-models").object(key)
        .stream(new ByteArrayInputStream(evil), evil.length, -1).build());

    Path target = dir.resolve("dl/tampered");
    assertThatThrownBy(() -> client.download("tamper-target", v.version(), target))
        .isInstanceOf(ArtifactIntegrityException.class)
        .hasMessageContaining("do not match their recorded SHA-256");
    assertThat(target).doesNotExist();
    try (var siblings = Files.list(target.getParent())) {
      assertThat(siblings.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".download-"));
    }
  }

  @Test
  void refusesAVersionWithoutAChecksum() throws Exception {
    ModelVersionInfo v = trainAndRegister("no-checksum", "w");
    client.mlflow().sendPost("model-versions/create", "{\"name\":\"no-checksum\",\"source\":\"" + v.source() + "\"}");
    assertThatThrownBy(() -> client.download("no-checksum", "2", dir.resolve("dl/unchecked")))
        .isInstanceOf(ArtifactIntegrityException.class)
        .hasMessageContaining("no recorded checksum");
  }

  @Test
  void reportsMissingThingsAsNotFound() {
    assertThatThrownBy(() -> client.version("no-such-model", "1"))
        .isInstanceOf(RegistryException.class)
        .satisfies(e -> assertThat(((RegistryException) e).isNotFound()).isTrue());
  }
}
