package io.vigil.cli.flink;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.SubmitCommand;
import io.vigil.cli.replay.Replayer;
import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.Interleaved;
import io.vigil.datasets.Split;
import io.vigil.embedded.junit.Await;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.pipeline.FeatureJobConfig;
import io.vigil.schemas.EntityKind;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feature job's exactly-once promise against a real crash: the job jar runs on a standalone
 * Flink cluster, its TaskManager's JVM is killed with SIGKILL in the middle of the stream (its Kafka
 * transactions left open, nothing flushed), a new TaskManager takes its place and the job restarts
 * from its last checkpoint. Every sample still becomes exactly one committed feature vector.
 */
class TaskManagerKillIT {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Between two checks: each reads the features topic or the REST API. */
  private static final Duration POLL = Duration.ofMillis(250);

  @Test
  void aKilledTaskManagerLosesNoSampleAndDuplicatesNone(@TempDir Path tmp) throws Exception {
    Path repo = Path.of(System.getProperty("vigil.repo.dir", "..")).toAbsolutePath().normalize();
    System.setProperty("vigil.home", repo.toString());
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic("telemetry", 2, (short) 1), new NewTopic("features", 2, (short) 1),
          new NewTopic("dlq", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    List<ProducerRecord<byte[], byte[]>> samples = telemetry(repo.resolve("demo/smd"));
    int half = samples.size() / 2;

    FeatureJobConfig d = FeatureJobConfig.defaults();
    FeatureJobConfig cfg = new FeatureJobConfig("features-kill", KAFKA.bootstrapServers(), "telemetry", "features",
        "dlq", "features-kill", "features-kill", d.transactionTimeout(), null, d.outOfOrderness(), d.idleness(),
        Duration.ofSeconds(1), tmp.resolve("checkpoints").toUri().toString(), "", d.s3(), d.absurdValueLimit(),
        false, 2);
    Path config = tmp.resolve("features.yaml");
    Files.writeString(config, FeatureJobConfig.loader().toYaml(cfg));

    try (StandaloneFlink flink = StandaloneFlink.start(
        repo.resolve("cli/target/standalone-flink-kill-" + System.currentTimeMillis()),
        repo.resolve("cli/target/flink-cluster.classpath"), 4, null, null);
        KafkaProducer<byte[], byte[]> producer = producer()) {
      URI rest = flink.restAddress();
      String job = SubmitCommand.submit(rest, "feature-pipeline", config).jobId();
      new FlinkRestClient(rest).awaitRunning(job, "feature-pipeline", Duration.ofMinutes(2));

      samples.subList(0, half).forEach(producer::send);
      producer.flush();
      // a checkpoint has committed part of the first half, and another one has started on: the kill
      // comes between committed output and output still in open transactions
      Await.until(Duration.ofMinutes(2), POLL, "a checkpoint and committed vectors",
          () -> completedCheckpoints(rest, job) > 0 && !featuresBySample().isEmpty());
      long before = completedCheckpoints(rest, job);
      Await.until(Duration.ofMinutes(1), POLL, "a further checkpoint", () -> completedCheckpoints(rest, job) > before);

      flink.killTaskManager();
      samples.subList(half, samples.size()).forEach(producer::send);
      producer.flush();
      flink.startTaskManager();
      new FlinkRestClient(rest).awaitRunning(job, "feature-pipeline", Duration.ofMinutes(3));

      long expected = samples.size() - OPEN_TAIL;
      Await.until(Duration.ofMinutes(3), POLL, "vectors for " + expected + " samples",
          () -> featuresBySample().size() >= expected);
      // the job came back by restoring a checkpoint (the REST API's checkpoint statistics; its job metrics,
      // e.g. numRestarts, are fetched every 10 s and may still say 0)
      Await.until(Duration.ofMinutes(1), POLL, "the job to restore a checkpoint", () -> restoredCheckpoints(rest, job) > 0);
    }
    Map<String, Integer> counts = featuresBySample();
    assertThat(counts.values()).as("vectors per sample").allMatch(c -> c == 1);
    assertThat((long) counts.size()).isBetween(samples.size() - OPEN_TAIL, (long) samples.size());
  }

  /**
   * Samples at the end of the stream that stay open: the watermark has not passed them (out-of-orderness
   * of a minute, a sample a minute), a few per entity.
   */
  private static final long OPEN_TAIL = 3 * 10;

  /** The bundled excerpt's test rows of three machines, 1,000 each, as the replay command sends them. */
  private static List<ProducerRecord<byte[], byte[]>> telemetry(Path demo) {
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    Dataset ds = Dataset.open(demo, DatasetOptions.defaults().withSplit(Split.TEST));
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    Map<String, Integer> perEntity = new HashMap<>();
    for (Interleaved it = new Interleaved(ds.entities()); it.hasNext(); ) {
      Interleaved.EntityRow r = it.next();
      String entity = r.series().entity();
      if (perEntity.merge(entity, 1, Integer::sum) > 1000) {
        continue;
      }
      TelemetrySample s = Replayer.toSample(r.series(), r.row(), EntityKind.HOST, Map.of());
      out.add(new ProducerRecord<>("telemetry", entity.getBytes(StandardCharsets.UTF_8), serde.encode(s)));
    }
    return out;
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers(), "linger.ms", 5),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Committed feature vectors (read_committed: aborted transactions are skipped), by sample id. */
  private static Map<String, Integer> featuresBySample() {
    AvroSerde<FeatureVector> serde = AvroSerde.of(FeatureVector.class);
    Map<String, Integer> counts = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers(),
        "isolation.level", "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = List.of(new TopicPartition("features", 0), new TopicPartition("features", 1));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          counts.merge(serde.decode(r.value()).getSampleId(), 1, Integer::sum);
        }
      }
    }
    return counts;
  }

  private static long completedCheckpoints(URI rest, String job) {
    return get(rest, "/jobs/" + job + "/checkpoints").path("counts").path("completed").asLong();
  }

  /** Times the job restored its state from a checkpoint. */
  private static long restoredCheckpoints(URI rest, String job) {
    return get(rest, "/jobs/" + job + "/checkpoints").path("counts").path("restored").asLong();
  }

  private static JsonNode get(URI rest, String path) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(rest.resolve(path)).build(),
          HttpResponse.BodyHandlers.ofString());
      return JSON.readTree(r.body());
    } catch (Exception e) {
      throw new IllegalStateException("GET " + path + ": " + e, e);
    }
  }

}
