package io.vigil.registry.client;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.ModelEvent;
import io.vigil.schemas.wire.AvroSerde;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes {@link ModelEvent}s to Kafka (topic {@code vigil.model-events} by default), keyed by
 * model name, Avro single-object encoded by {@link AvroSerde}; each publish waits for the ack.
 */
public final class KafkaModelEventPublisher implements ModelEventPublisher, AutoCloseable {

  private final Producer<String, ModelEvent> producer;
  private final String topic;
  private final Duration timeout;

  public KafkaModelEventPublisher(Producer<String, ModelEvent> producer, String topic, Duration timeout) {
    this.producer = requireNonNull(producer, "producer");
    this.topic = requireNonNull(topic, "topic");
    this.timeout = requireNonNull(timeout, "timeout");
  }

  /** An idempotent producer with {@code acks=all} to {@code bootstrapServers}. */
  public static KafkaModelEventPublisher create(String bootstrapServers, String topic) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-registry-client");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    KafkaProducer<String, ModelEvent> producer = new KafkaProducer<>(p, new StringSerializer(),
        AvroSerde.of(ModelEvent.class).serializer());
    return new KafkaModelEventPublisher(producer, topic, Duration.ofSeconds(30));
  }

  @Override
  public void publish(ModelEvent event) {
    requireNonNull(event, "event");
    try {
      producer.send(new ProducerRecord<>(topic, event.getModelName(), event))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing a model event", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot publish model event to " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
