package io.vigil.embedded.junit;

import io.vigil.embedded.EmbeddedKafka;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: a real KRaft Kafka broker for the tests of one class, on a free port, removed
 * afterwards. Use as {@code @RegisterExtension static final KafkaBrokerExtension KAFKA = new
 * KafkaBrokerExtension();}.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

  private EmbeddedKafka kafka;

  @Override
  public void beforeAll(ExtensionContext context) {
    kafka = EmbeddedKafka.startEphemeral();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (kafka != null) {
      kafka.close();
      kafka = null;
    }
  }

  public EmbeddedKafka kafka() {
    if (kafka == null) {
      throw new IllegalStateException("the broker runs only between beforeAll and afterAll");
    }
    return kafka;
  }

  public String bootstrapServers() {
    return kafka().bootstrapServers();
  }
}
