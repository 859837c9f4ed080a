package io.vigil.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.KafkaClients;
import io.vigil.cli.UserException;
import io.vigil.cli.replay.Replayer;
import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.embedded.EmbeddedKafka;
import io.vigil.schemas.EntityKind;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Replay throughput into an embedded broker, against the limit of the same producer sending the
 * same number of pre-encoded records of the same size (no reading, no encoding) to the same broker.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Records/s of `vigil replay` into the embedded broker, against the raw producer limit.")
public final class ReplayBench implements Callable<Integer> {

  private static final int RING = 8192;

  @Spec CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Dataset directory (default: ../shared/data/smd beside the repository, else demo/smd).")
  Path data;

  @Option(names = "--quick", description = "One entity instead of all.")
  boolean quick;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path dir = data != null ? data : defaultData();
    Dataset full = Dataset.open(dir, DatasetOptions.defaults());
    Dataset dataset = quick
        ? Dataset.open(dir, DatasetOptions.defaults().withEntities(Set.of(full.entities().get(0).entity())))
        : full;

    long t0 = System.nanoTime();
    long parsed = dataset.validate();
    double parseSeconds = (System.nanoTime() - t0) / 1e9;

    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
      try (Admin admin = kafka.admin()) {
        admin.createTopics(List.of(new NewTopic("bench.replay", 4, (short) 1),
            new NewTopic("bench.limit", 4, (short) 1))).all().get();
      }
      // warm-up of the JIT and the broker on a slice, not counted
      Replayer.Result result;
      try (KafkaProducer<String, byte[]> p = KafkaClients.producer(kafka.bootstrapServers(), "bench-replay")) {
        result = new Replayer(p, "bench.replay").replay(dataset, new Replayer.Options(0), Replayer.Progress.NONE);
      }
      // the limit: the same producer sending the same number of real records, already encoded
      // (a ring of distinct records, so compression sees real data), to the same broker
      EntitySeries first = dataset.entities().get(0);
      AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
      List<byte[]> ring = new ArrayList<>();
      Iterator<io.vigil.datasets.Row> rows = first.rows();
      while (rows.hasNext() && ring.size() < RING) {
        ring.add(serde.encode(Replayer.toSample(first, rows.next(), EntityKind.HOST, Map.of("dataset", "smd"))));
      }
      byte[] payload = ring.get(0);
      long limitStart = System.nanoTime();
      try (KafkaProducer<String, byte[]> p = KafkaClients.producer(kafka.bootstrapServers(), "bench-limit")) {
        for (long i = 0; i < result.records(); i++) {
          p.send(new ProducerRecord<>("bench.limit", first.entity(), ring.get((int) (i % ring.size()))));
        }
        p.flush();
      }
      double limitSeconds = (System.nanoTime() - limitStart) / 1e9;
      double replayRate = result.recordsPerSecond();
      double limitRate = result.records() / limitSeconds;
      double parseRate = parsed / parseSeconds;

      out.println("vigil bench replay" + (quick ? " --quick" : ""));
      out.printf(Locale.ROOT, "conditions: %d cores, Java %s, embedded KRaft broker (4.2.0) in the same JVM,"
              + " 4 partitions, acks=all, idempotent, lz4, linger 10 ms%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
      out.printf(Locale.ROOT, "data: %s (%s, %d entities, %,d records, %d metrics, %d bytes/record encoded)%n",
          dir, dataset.format(), dataset.entities().size(), result.records(),
          first.metricNames().size(), payload.length);
      out.printf(Locale.ROOT, "%-44s %14s%n", "measure", "records/s");
      out.printf(Locale.ROOT, "%-44s %,14.0f%n", "parse only (validation pass)", parseRate);
      out.printf(Locale.ROOT, "%-44s %,14.0f%n", "replay (validate + encode + produce + ack)", replayRate);
      out.printf(Locale.ROOT, "%-44s %,14.0f%n", "limit: same producer, pre-encoded records", limitRate);
      out.printf(Locale.ROOT, "replay_vs_producer_limit = %.2f%n", replayRate / limitRate);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("bench", "replay");
      json.put("quick", quick);
      json.put("records", result.records());
      json.put("entities", dataset.entities().size());
      json.put("replay_records_per_s", Math.round(replayRate));
      json.put("producer_limit_records_per_s", Math.round(limitRate));
      json.put("parse_records_per_s", Math.round(parseRate));
      json.put("replay_vs_producer_limit", Math.round(replayRate / limitRate * 1000) / 1000.0);
      out.println(new ObjectMapper().writeValueAsString(json));
      out.flush();
    }
    return 0;
  }

  private static Path defaultData() {
    Path home = Path.of(System.getProperty("vigil.home", "."));
    for (Path p : List.of(home.resolve("../shared/data/smd"), home.resolve("demo/smd"))) {
      if (Files.isDirectory(p)) {
        return p.normalize();
      }
    }
    throw new UserException("no data to replay: pass --data DIR");
  }
}
