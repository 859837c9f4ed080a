package io.vigil.streamio;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class KafkaSinksTest {

  @Test
  void transactionTimeoutMustOutlastACheckpointIntervalAndStayUnderTheBrokersMaximum() {
    assertDoesNotThrow(() -> KafkaSinks.checkTransactionTimeout(Duration.ofMinutes(10), Duration.ofSeconds(10)));
    String tooLong = assertThrows(IllegalArgumentException.class,
        () -> KafkaSinks.checkTransactionTimeout(Duration.ofMinutes(15), Duration.ofSeconds(10))).getMessage();
    assertTrue(tooLong.contains("transaction.max.timeout.ms"), tooLong);
    String tooShort = assertThrows(IllegalArgumentException.class,
        () -> KafkaSinks.checkTransactionTimeout(Duration.ofSeconds(10), Duration.ofSeconds(10))).getMessage();
    assertTrue(tooShort.contains("longer than checkpointInterval"), tooShort);
    for (Duration bad : new Duration[] {null, Duration.ZERO, Duration.ofSeconds(-1)}) {
      String m = assertThrows(IllegalArgumentException.class,
          () -> KafkaSinks.checkTransactionTimeout(bad, Duration.ofSeconds(10))).getMessage();
      assertTrue(m.startsWith("transactionTimeout must be positive"), m);
    }
  }
}
