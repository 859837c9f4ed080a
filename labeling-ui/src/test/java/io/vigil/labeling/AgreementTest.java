package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vigil.labeling.quality.Agreement;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgreementTest {

  /** Cohen (1960) as worked in most textbooks: 50 items, yes/yes 20, yes/no 5, no/yes 10, no/no 15. */
  @Test
  void cohensKappaOfTheTextbookTwoRaterExampleIsPointFour() {
    long[][] confusion = {{20, 5}, {10, 15}};
    assertThat(Agreement.cohen(confusion)).isCloseTo(0.4, within(1e-12));
  }

  @Test
  void cohensKappaIsOneForPerfectAgreementAndNaNWithoutItems() {
    assertThat(Agreement.cohen(new long[][] {{7, 0}, {0, 3}})).isEqualTo(1.0);
    assertThat(Agreement.cohen(new long[][] {{0, 0}, {0, 0}})).isNaN();
  }

  /**
   * Fleiss (1971)'s worked example as reproduced in textbooks: 10 subjects, 14 raters, 5
   * categories; P-bar = 0.378, P-e = 0.213, kappa = 0.210.
   */
  @Test
  void fleissKappaOfTheTextbookFourteenRaterExampleIsPointTwoOneZero() {
    List<long[]> table = List.of(
        new long[] {0, 0, 0, 0, 14},
        new long[] {0, 2, 6, 4, 2},
        new long[] {0, 0, 3, 5, 6},
        new long[] {0, 3, 9, 2, 0},
        new long[] {2, 2, 8, 1, 1},
        new long[] {7, 7, 0, 0, 0},
        new long[] {3, 2, 6, 3, 0},
        new long[] {2, 5, 3, 2, 2},
        new long[] {6, 5, 2, 1, 0},
        new long[] {0, 2, 2, 3, 7});
    assertThat(Agreement.fleiss(table)).isCloseTo(0.2099, within(0.0005));
  }
}
