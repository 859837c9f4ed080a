package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

  @Test
  void replayBenchPrintsItsTableAndEndsWithOneJsonLineOfFigures() throws Exception {
    Path demo = Path.of(System.getProperty("vigil.repo.dir", "..")).resolve("demo/smd");
    CliRun run = CliRun.of("bench", "replay", "--quick", "--data", demo.toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(run.out()).contains("conditions:", "limit: same producer");
    JsonNode json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertThat(json.get("bench").asText()).isEqualTo("replay");
    assertThat(json.get("records").asLong()).isEqualTo(6500);
    assertThat(json.get("replay_vs_producer_limit").asDouble()).isPositive();
  }
}
