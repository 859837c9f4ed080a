package io.vigil.drift.requests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The query-selection keys of the label-request job: eval's defaults, file and environment, refused values. */
class LabelRequestConfigTest {

  @Test
  void theDefaultsAreEvalsLevelAndFollowUps() {
    LabelRequestConfig d = LabelRequestConfig.loader().load(null, Map.of());
    assertThat(d).isEqualTo(LabelRequestConfig.defaults());
    assertThat(d.uncertaintyMeasure()).isEqualTo(LabelRequestConfig.Measure.LEVEL);
    assertThat(d.scoreLevel()).isEqualTo(new LabelRequestConfig.QueryLevel(0.97, 8192, 50, 100));
    assertThat(d.followUpGrowth()).isEqualTo(1.0);
    assertThat(d.policy().followUpGrowth()).isEqualTo(1.0);
    assertThat(d.withKafka("k:1").scoreLevel()).isEqualTo(d.scoreLevel());
    assertThat(d.withKafka("k:1").followUpGrowth()).isEqualTo(1.0);
  }

  @Test
  void fileThenEnvironmentSetTheLevelTheMeasureAndTheGrowth(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("label-requests.yaml");
    Files.writeString(f, "uncertaintyMeasure: ENTROPY\nfollowUpGrowth: 2.0\nscoreLevel:\n  capacity: 2048\n");
    LabelRequestConfig c = LabelRequestConfig.loader().load(f, Map.of("VIGIL_LABEL_REQUESTS__SCORE_LEVEL__WARM_UP", "20"));
    assertThat(c.uncertaintyMeasure()).isEqualTo(LabelRequestConfig.Measure.ENTROPY);
    assertThat(c.followUpGrowth()).isEqualTo(2.0);
    assertThat(c.scoreLevel()).isEqualTo(new LabelRequestConfig.QueryLevel(0.97, 2048, 50, 20));
    // the defaults written out load back
    Path defaults = dir.resolve("defaults.yaml");
    Files.writeString(defaults, LabelRequestConfig.loader().defaultsAsYaml());
    assertThat(LabelRequestConfig.loader().load(defaults, Map.of())).isEqualTo(LabelRequestConfig.defaults());
  }

  @Test
  void refusesAGrowthBelowOneAndALevelOutsideItsRange(@TempDir Path dir) throws Exception {
    for (String yaml : new String[] {"followUpGrowth: 0.5\n", "scoreLevel:\n  quantile: 1.0\n",
        "scoreLevel:\n  capacity: 0\n", "uncertaintyMeasure: SCORE\n"}) {
      Path f = dir.resolve("bad.yaml");
      Files.writeString(f, yaml);
      assertThatThrownBy(() -> LabelRequestConfig.loader().load(f, Map.of())).as(yaml)
          .isInstanceOf(ConfigException.class);
    }
  }
}
