package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** `vigil config defaults --all`: every part of the loop's keys and defaults, in one place. */
class ConfigDefaultsTest {

  @Test
  void allPrintsEveryPartWithItsEnvironmentPrefixAndDefaults() {
    CliRun run = CliRun.of("config", "defaults", "--all");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains(
        "# ---- launcher (vigil up): environment VIGIL_",
        "VIGIL_REGISTRY__", "VIGIL_TRAINING__", "VIGIL_SERVING__", "VIGIL_FEATURE_PIPELINE__",
        "VIGIL_SCORING__", "VIGIL_DRIFT__", "VIGIL_LABEL_REQUESTS__", "VIGIL_LABELING__",
        // a key of each kind of part
        "retrainAfterLabels:", "maxBatchSize:", "circuitBreaker:", "expectedRunLength:", "auditShare:",
        "leaseSeconds:", "minNewLabels:");
    for (ConfigCommand.Part p : ConfigCommand.parts()) {
      assertThat(p.defaultsYaml()).as(p.name()).isNotBlank();
    }
  }
}
