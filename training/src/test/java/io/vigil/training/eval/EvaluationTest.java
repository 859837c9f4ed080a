package io.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.selection.Strategy;
import io.vigil.training.ColdStartConfig;
import io.vigil.training.TestData;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole evaluation on a small slice of one SMD machine. */
class EvaluationTest {

  @TempDir Path dir;

  @Test
  void evaluatesAnSmdSliceAndWritesTheReportWithTheAgreedKeys() throws Exception {
    Path data = TestData.smdSlice(dir.resolve("smd"), "machine-1-2", 1500, 5000);
    ColdStartConfig c = new ColdStartConfig(List.of(16, 4, 16), 2, 64, 1e-3, 3, 0.2, 0.99, 10, 1.0, 0.0);
    EvalReport report = new Evaluation(c, Strategy.NONE).run(data, Set.of(), r -> { });
    assertThat(report.entities()).hasSize(1);
    EntityResult r = report.entities().get(0);
    assertThat(r.rows()).isEqualTo(5000);
    assertThat(r.anomalies()).isPositive();
    assertThat(r.queries()).isZero();
    assertThat(r.f1Best()).isBetween(0.0, 1.0).isGreaterThanOrEqualTo(r.f1Operating());
    assertThat(r.prAuc()).isBetween(0.0, 1.0);
    assertThat(r.hitrate150()).isBetween(0.0, 1.0);

    Path out = dir.resolve("report.json");
    report.write(out);
    JsonNode json = new ObjectMapper().readTree(out.toFile());
    for (String key : List.of("f1_best", "f1_operating", "f1_event", "pr_auc", "f1_pa", "hitrate_150", "queries")) {
      assertThat(json.path("entities").path("machine-1-2").has(key)).as(key).isTrue();
      assertThat(json.path("mean").has(key)).as(key).isTrue();
    }
    assertThat(json.path("mean").path("f1_best").asDouble()).isEqualTo(r.f1Best());
    assertThat(report.table()).contains("machine-1-2").contains("mean");
  }

  @Test
  void anEntityWithoutLabelsIsRefusedRatherThanScoredAgainstNothing() throws Exception {
    Path data = TestData.smdSlice(dir.resolve("unlabelled"), "machine-1-2", 500, 500);
    java.nio.file.Files.delete(data.resolve("test_label/machine-1-2.txt"));
    ColdStartConfig c = new ColdStartConfig(List.of(16, 4, 16), 2, 64, 1e-3, 3, 0.2, 0.99, 10, 1.0, 0.0);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new Evaluation(c, Strategy.NONE).run(data, Set.of(), r -> { }))
        .isInstanceOf(io.vigil.datasets.DatasetException.class)
        .hasMessageContaining("machine-1-2").hasMessageContaining("has no labels")
        .hasMessageContaining("test_label/machine-1-2");
  }

  @Test
  void evaluatesOtherLayoutsTooANabFileFromItsCategoryDirectory() throws Exception {
    // NAB as published: the CSVs two levels below labels/combined_windows.json, real timestamps
    Path nab = TestData.shared("nab/data/realKnownCause");
    ColdStartConfig c = new ColdStartConfig(List.of(16, 4, 16), 2, 64, 1e-3, 3, 0.2, 0.99, 10, 1.0, 0.0);
    EvalReport report = new Evaluation(c, Strategy.UNCERTAINTY, 10, 0.0)
        .run(nab, Set.of("ec2_request_latency_system_failure"), r -> { });
    EntityResult r = report.entities().get(0);
    assertThat(r.entity()).isEqualTo("ec2_request_latency_system_failure");
    assertThat(r.anomalies()).isPositive(); // its windows were found and read
    assertThat(r.rows()).isBetween(1000, 4032);
    assertThat(r.f1Best()).isBetween(0.0, 1.0);
    assertThat(r.queries()).isBetween(1L, 10L);
    assertThat(r.hitrate150()).isNaN(); // NAB has no root-cause labels
    assertThat(report.mean().get("hitrate_150")).isNull();
  }
}
