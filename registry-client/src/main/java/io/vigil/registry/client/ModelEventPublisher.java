package io.vigil.registry.client;

import io.vigil.schemas.ModelEvent;

/** Where the registry client announces registrations and alias moves. */
public interface ModelEventPublisher {

  /** Publishes one event and returns once it is durably accepted, or throws. */
  void publish(ModelEvent event);

  /** A publisher that drops every event, for tools that run without Kafka. */
  static ModelEventPublisher discarding() {
    return event -> { };
  }
}
