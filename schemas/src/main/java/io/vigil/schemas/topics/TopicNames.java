package io.vigil.schemas.topics;

import static java.util.Objects.requireNonNull;

import java.util.EnumMap;
import java.util.Map;

/** The concrete topic name of each {@link VigilTopic} in one deployment. Immutable. */
public final class TopicNames {

  private final Map<VigilTopic, String> names;

  private TopicNames(Map<VigilTopic, String> names) {
    this.names = names;
  }

  /** The default names ({@code vigil.telemetry}, ...). */
  public static TopicNames defaults() {
    return withOverrides(Map.of());
  }

  /** Default names, except those given. Names must be legal Kafka topic names. */
  public static TopicNames withOverrides(Map<VigilTopic, String> overrides) {
    EnumMap<VigilTopic, String> names = new EnumMap<>(VigilTopic.class);
    for (VigilTopic t : VigilTopic.values()) {
      String name = overrides.getOrDefault(t, t.defaultName());
      requireNonNull(name, t.name());
      if (!name.matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new IllegalArgumentException(
            "topic name for " + t + " is not a legal Kafka topic name: '" + name + "'");
      }
      names.put(t, name);
    }
    return new TopicNames(names);
  }

  public String name(VigilTopic topic) {
    return names.get(topic);
  }

  @Override
  public String toString() {
    return names.toString();
  }
}
