package io.vigil.training.watch;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelValue;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usable labels (ANOMALY or NORMAL, one per sample) for a one-off training run, from where the
 * running system keeps them:
 *
 * <ul>
 *   <li>{@link #fromTopic}: every {@code LabelEvent} on the labels topic up to its current end
 *       (read-committed), folded as the watcher folds them: de-duplicated on {@code eventId},
 *       retractions honoured, the latest answer per sample wins;
 *   <li>{@link #fromStore}: the labeling service's training export ({@code GET
 *       /api/export/training}, a reviewer's account): resolutions where a reviewer resolved a
 *       disagreement, agreed answers otherwise, unresolved conflicts and low-agreement annotators left
 *       out by the service's quality rules.
 * </ul>
 */
public final class TrainingLabels {

  private static final Logger LOG = LoggerFactory.getLogger(TrainingLabels.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String source;
  private final Map<String, LabelBook.Label> labels;
  private final long records;
  private final long unusable;

  private TrainingLabels(String source, Map<String, LabelBook.Label> labels, long records, long unusable) {
    this.source = source;
    this.labels = labels;
    this.records = records;
    this.unusable = unusable;
  }

  /** Where the labels came from, for logs and the run's params. */
  public String source() {
    return source;
  }

  /** Samples with a usable label. */
  public int size() {
    return labels.size();
  }

  /** Records (events or export rows) read. */
  public long records() {
    return records;
  }

  /** Records that could not be read or carry no usable answer (UNSURE, SKIP, undecided). */
  public long unusable() {
    return unusable;
  }

  Map<String, LabelBook.Label> bySample() {
    return labels;
  }

  /**
   * Reads {@code topic} from the beginning to the end offsets it has when the read starts.
   *
   * @param timeout how long to wait for the broker
   */
  public static TrainingLabels fromTopic(String bootstrapServers, String topic, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "vigil-train-labels");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
    AvroSerde<LabelEvent> serde = AvroSerde.of(LabelEvent.class);
    LabelBook book = new LabelBook();
    long records = 0;
    long unusable = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = c.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist on " + bootstrapServers);
      }
      List<TopicPartition> parts = new ArrayList<>();
      infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!caughtUp(c, parts, end)) {
        var batch = c.poll(Duration.ofMillis(200));
        if (batch.isEmpty() && System.nanoTime() > deadline) {
          throw new IllegalStateException("labels topic " + topic + ": no records for " + timeout
              + " before its end offsets were reached");
        }
        if (!batch.isEmpty()) {
          deadline = System.nanoTime() + timeout.toNanos();
        }
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
            continue; // written after the read started: not part of this snapshot
          }
          records++;
          try {
            LabelEvent e = serde.decode(r.value());
            if (e.getRetracts() == null && e.getLabel() != LabelValue.ANOMALY && e.getLabel() != LabelValue.NORMAL) {
              unusable++;
            }
            book.apply(e);
          } catch (RecordDecodingException | IllegalArgumentException | NullPointerException e) {
            unusable++;
            LOG.warn("unreadable label record partition={} offset={}: {}", r.partition(), r.offset(),
                e.getMessage());
          }
        }
      }
    }
    LOG.info("labels topic {}: {} events, {} duplicates, {} retractions, {} unusable", topic, records,
        book.duplicates(), book.retractions(), unusable);
    return new TrainingLabels("topic " + topic, book.current(), records, unusable);
  }

  private static boolean caughtUp(KafkaConsumer<?, ?> c, List<TopicPartition> parts,
      Map<TopicPartition, Long> end) {
    for (TopicPartition tp : parts) {
      if (c.position(tp) < end.getOrDefault(tp, 0L)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The labeling service's training export, signed in as {@code user} (a reviewer).
   *
   * @param baseUrl e.g. {@code http://127.0.0.1:8082}
   */
  public static TrainingLabels fromStore(String baseUrl, String user, String password, Duration timeout) {
    requireNonNull(baseUrl, "baseUrl");
    if (user == null || user.isBlank() || password == null || password.isEmpty()) {
      throw new IllegalArgumentException("the label store needs a reviewer's user name and password");
    }
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
    try {
      String body = JSON.writeValueAsString(Map.of("username", user, "password", password));
      HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/api/login"))
          .timeout(timeout).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (login.statusCode() != 200) {
        throw new IllegalStateException("label store " + base + ": sign-in as " + user + " refused ("
            + login.statusCode() + " " + message(login.body()) + ")");
      }
      String cookie = login.headers().allValues("Set-Cookie").stream()
          .map(v -> v.split(";", 2)[0]).reduce((a, b) -> a + "; " + b)
          .orElseThrow(() -> new IllegalStateException("label store " + base + " set no session cookie"));
      HttpResponse<String> export = http.send(HttpRequest.newBuilder(URI.create(base + "/api/export/training"))
          .timeout(timeout).header("Cookie", cookie).header("Accept", "application/json").GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (export.statusCode() != 200) {
        throw new IllegalStateException("label store " + base + ": training export refused ("
            + export.statusCode() + " " + message(export.body()) + ")");
      }
      JsonNode rows = JSON.readTree(export.body()).path("labels");
      Map<String, LabelBook.Label> out = new TreeMap<>();
      long records = 0;
      for (JsonNode r : rows) {
        records++;
        String sampleId = r.path("sampleId").asText(null);
        String label = r.path("label").asText("").toUpperCase(Locale.ROOT);
        if (sampleId == null || !(label.equals("ANOMALY") || label.equals("NORMAL"))) {
          continue;
        }
        // the export has no event ids: the snapshot id is taken over what each label says and why
        String id = "store:" + sampleId + ":" + label + ":" + r.path("source").asText("") + ":"
            + r.path("ratings").asInt();
        out.put(sampleId, new LabelBook.Label(sampleId, label.equals("ANOMALY"), id, 0));
      }
      return new TrainingLabels("label store " + base, out, records, records - out.size());
    } catch (IOException e) {
      throw new IllegalStateException("label store " + base + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the label store", e);
    }
  }

  private static String message(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n.path("message").asText(n.path("error").asText(""));
    } catch (IOException e) {
      return "";
    }
  }
}
