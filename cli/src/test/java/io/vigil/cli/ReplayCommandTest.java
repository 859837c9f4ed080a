package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ReplayCommandTest {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  private static Path smd() {
    return Path.of(System.getProperty("vigil.data.dir", "../../shared/data")).resolve("smd");
  }

  @Test
  void replaysOneSmdMachineAsExactlyOneRecordPerRowWithItsValuesAndEntity() throws IOException {
    CliRun run = CliRun.of("replay", smd().toString(), "--entities", "machine-1-2",
        "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "t.smd", "--no-progress");
    assertThat(run.exitCode()).as(run.err()).isZero();

    List<String> rows = new ArrayList<>(Files.readAllLines(smd().resolve("train/machine-1-2.txt")));
    rows.addAll(Files.readAllLines(smd().resolve("test/machine-1-2.txt")));
    assertThat(run.out()).contains("replayed " + String.format("%,d", rows.size()) + " records of 1 entities");
    List<String> names = io.vigil.datasets.Dataset.open(smd(), io.vigil.datasets.DatasetOptions.defaults()
        .withEntities(java.util.Set.of("machine-1-2"))).entities().get(0).metricNames();

    List<TelemetrySample> got = consumeAll("t.smd", rows.size());
    assertThat(got).hasSize(rows.size());
    boolean[] seen = new boolean[rows.size()];
    for (TelemetrySample s : got) {
      assertThat(s.getEntity()).isEqualTo("machine-1-2");
      int seq = (int) s.getSequence();
      assertThat(seen[seq]).as("duplicate row " + seq).isFalse();
      seen[seq] = true;
      assertThat(s.getEventTime()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z").plus(Duration.ofMinutes(seq)));
      String[] expected = rows.get(seq).split(",");
      assertThat(s.getMetrics()).hasSize(38);
      for (int i = 0; i < expected.length; i++) {
        assertThat(s.getMetrics().get(names.get(i))).as("row %d metric %s", seq, names.get(i))
            .isEqualTo(Double.parseDouble(expected[i]));
      }
    }
  }

  @Test
  void refusesAMalformedCsvWithItsLineNumberAndWritesNothing(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("train"));
    Files.writeString(dir.resolve("train/host-a.txt"), "0.1,0.2\n0.3,0.4\n");
    Files.writeString(dir.resolve("train/host-b.txt"), "0.1,0.2\n0.3,0.4\n0.5,0.6,0.7\n");
    CliRun run = CliRun.of("replay", dir.toString(), "--bootstrap-servers", KAFKA.bootstrapServers(),
        "--topic", "t.bad", "--no-progress");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("host-b.txt:3: expected 2 columns, found 3").doesNotContain("Exception");
    assertThat(consumeAll("t.bad", 1)).isEmpty();
  }

  @Test
  void refusesAnUnknownSplit() {
    CliRun run = CliRun.of("replay", smd().toString(), "--split", "middle", "--bootstrap-servers",
        KAFKA.bootstrapServers());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--split must be train, test or all");
  }

  private List<TelemetrySample> consumeAll(String topic, int expected) {
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    Map<String, Object> cc = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    List<TelemetrySample> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cc, new StringDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(expected <= 1 ? 5 : 60);
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          assertThat(r.key()).isNotNull();
          out.add(serde.decode(r.value()));
        }
      }
      // anything beyond the expected count would be a duplicate: give it a moment to show up
      long extra = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      while (System.nanoTime() < extra) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
          out.add(serde.decode(r.value()));
        }
      }
    }
    return out;
  }
}
