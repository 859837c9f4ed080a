package io.vigil.drift;

import java.util.LinkedHashMap;

/**
 * The keyed state of one entity in {@link EntityJoin}: its samples waiting in the join, by sample
 * id, in the order they first came (a vector or a prediction, whichever was first), and the one
 * event-time timer the entity has registered. Within an entity both inputs arrive in event-time
 * order (Vigil's writers key by entity), so that order is the samples' event-time order, and the
 * join expires them from the head. Serialized by {@link EntityJoinStateSerializer}.
 */
public final class EntityJoinState {
  /** Waiting samples by sample id, oldest first. */
  public final LinkedHashMap<String, JoinState> samples;
  /** The registered expiry timer, or {@link Long#MIN_VALUE} when none is. */
  public long timer = Long.MIN_VALUE;

  public EntityJoinState() {
    this(16);
  }

  EntityJoinState(int capacity) {
    samples = new LinkedHashMap<>(Math.max(16, (int) (capacity / 0.75f) + 1));
  }

  /** The head (oldest) sample, or null. */
  JoinState head() {
    return samples.isEmpty() ? null : samples.values().iterator().next();
  }
}
