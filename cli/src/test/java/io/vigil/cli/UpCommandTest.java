package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpCommandTest {

  @Test
  void upStartsKafkaAndS3ReplaysTheDemoStopsCleanlyAndResumesWithoutReplayingAgain(@TempDir Path tmp)
      throws IOException {
    Path demo = tmp.resolve("demo");
    Files.createDirectories(demo.resolve("train"));
    Files.writeString(demo.resolve("train/host-a.txt"), "0.1,0.2\n0.3,0.4\n0.5,0.6\n");
    Files.writeString(demo.resolve("train/host-b.txt"), "0.1,0.2\n0.3,0.4\n");
    Path config = tmp.resolve("vigil.yaml");
    Files.writeString(config, """
        workDir: %s
        kafka:
          port: 0
        s3:
          port: 0
        flink:
          restPort: 0
        registry:
          port: 0
        labeling:
          port: 0
        loop:
          bootstrapModel: false
          serving: false
          scoring: false
          drift: false
          labelRequests: false
          retrain: false
        demo:
          dataDir: %s
        """.formatted(tmp.resolve("work"), demo));

    System.setProperty("vigil.home", System.getProperty("vigil.repo.dir", ".."));
    CliRun first = CliRun.of("up", "--config", config.toString(), "--exit-after-replay");
    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out()).contains("Vigil is up", "Kafka", "S3", "vigil.telemetry", "vigil-models",
        "replayed 5 records of 2 entities", "Vigil stopped.", "Flink", "feature-pipeline", "Registry", "Labels", "annotator /");

    CliRun second = CliRun.of("up", "--config", config.toString(), "--exit-after-replay");
    assertThat(second.exitCode()).as(second.err()).isZero();
    assertThat(second.out()).contains("already replayed").doesNotContain("replayed 5 records");
  }

  @Test
  void upRefusesAnUnknownConfigKeyNamingIt(@TempDir Path tmp) throws IOException {
    Path config = tmp.resolve("vigil.yaml");
    Files.writeString(config, "kafka:\n  bootstrp: x\n");
    CliRun run = CliRun.of("up", "--config", config.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("unknown config key 'kafka.bootstrp'", "bootstrapServers");
  }
}
