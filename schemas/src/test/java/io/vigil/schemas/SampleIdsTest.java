package io.vigil.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SampleIdsTest {

  private static final Instant END = Instant.parse("2026-01-01T00:10:00Z");

  @Test
  void sameInputsGiveTheSameIdEveryTime() {
    assertThat(SampleIds.of("machine-1-2", END, "fs-1")).isEqualTo(SampleIds.of("machine-1-2", END, "fs-1"));
    assertThat(SampleIds.isValid(SampleIds.of("machine-1-2", END, "fs-1"))).isTrue();
  }

  @Test
  void anyDifferentInputGivesADifferentId() {
    String id = SampleIds.of("machine-1-2", END, "fs-1");
    assertThat(SampleIds.of("machine-1-3", END, "fs-1")).isNotEqualTo(id);
    assertThat(SampleIds.of("machine-1-2", END.plusMillis(1), "fs-1")).isNotEqualTo(id);
    assertThat(SampleIds.of("machine-1-2", END, "fs-2")).isNotEqualTo(id);
    // length prefixes keep field boundaries apart
    assertThat(SampleIds.of("ab", END, "c")).isNotEqualTo(SampleIds.of("a", END, "bc"));
  }

  @Test
  void rejectsMalformedIds() {
    assertThat(SampleIds.isValid(null)).isFalse();
    assertThat(SampleIds.isValid("s-XYZ")).isFalse();
    assertThat(SampleIds.isValid("s-" + "A".repeat(32))).isFalse();
  }
}
