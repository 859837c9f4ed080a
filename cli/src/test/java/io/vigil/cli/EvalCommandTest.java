package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vigil eval} as a user runs it: its options, its table, its report, and its refusals. */
class EvalCommandTest {

  @TempDir static Path dir;
  static Path data;

  /** The first 1,500 train and 5,000 test rows of SMD machine-1-2 (its first anomalies start at 4,629). */
  @BeforeAll
  static void slice() throws IOException {
    Path smd = Path.of(System.getProperty("vigil.data.dir", "../../shared/data")).resolve("smd");
    data = dir.resolve("smd");
    for (String sub : List.of("train", "test", "test_label", "interpretation_label")) {
      Files.createDirectories(data.resolve(sub));
    }
    head(smd.resolve("train/machine-1-2.txt"), data.resolve("train/machine-1-2.txt"), 1500);
    head(smd.resolve("test/machine-1-2.txt"), data.resolve("test/machine-1-2.txt"), 5000);
    head(smd.resolve("test_label/machine-1-2.txt"), data.resolve("test_label/machine-1-2.txt"), 5000);
    List<String> segments = Files.readAllLines(smd.resolve("interpretation_label/machine-1-2.txt")).stream()
        .filter(l -> Integer.parseInt(l.substring(l.indexOf('-') + 1, l.indexOf(':'))) <= 5000).toList();
    Files.write(data.resolve("interpretation_label/machine-1-2.txt"), segments);
  }

  private static void head(Path from, Path to, int rows) throws IOException {
    try (var lines = Files.lines(from)) {
      Files.write(to, lines.limit(rows).toList());
    }
  }

  @Test
  void printsTheTableAndWritesTheReportWithTheAgreedKeys() throws Exception {
    Path out = dir.resolve("report.json");
    CliRun r = CliRun.of("eval", "--data", data.toString(), "--format", "smd", "--strategy", "uncertainty",
        "--budget", "20", "--seed", "7", "--out", out.toString());
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("f1_best", "hitrate_150", "machine-1-2", "mean");
    JsonNode json = new ObjectMapper().readTree(out.toFile());
    assertThat(json.path("strategy").asText()).isEqualTo("uncertainty");
    for (String key : List.of("f1_best", "f1_operating", "f1_event", "pr_auc", "f1_pa", "f1_pa_random",
        "hitrate_150", "queries")) {
      assertThat(json.path("entities").path("machine-1-2").has(key)).as(key).isTrue();
      assertThat(json.path("mean").has(key)).as(key).isTrue();
    }
    assertThat(json.path("entities").path("machine-1-2").path("queries").asLong()).isBetween(1L, 20L);
  }

  @Test
  void refusesWhatItCannotMeasureWithAMessage() {
    CliRun wrongFormat = CliRun.of("eval", "--data", data.toString(), "--format", "nab", "--strategy", "none",
        "--out", dir.resolve("x.json").toString());
    assertThat(wrongFormat.exitCode()).isNotZero();
    assertThat(wrongFormat.err()).contains("nab").doesNotContain("Exception");
    CliRun noBudget = CliRun.of("eval", "--data", data.toString(), "--format", "smd", "--strategy", "random",
        "--out", dir.resolve("y.json").toString());
    assertThat(noBudget.exitCode()).isNotZero();
    assertThat(noBudget.err()).contains("--budget");
    CliRun budgetWithoutStrategy = CliRun.of("eval", "--data", data.toString(), "--format", "smd",
        "--budget", "5", "--out", dir.resolve("z.json").toString());
    assertThat(budgetWithoutStrategy.exitCode()).isNotZero();
    assertThat(budgetWithoutStrategy.err()).contains("--strategy");
  }
}
