package io.vigil.datasets;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * How to read a dataset directory.
 *
 * @param split which part to read
 * @param start time of row 0 for layouts without timestamps (SMD, JumpStarter)
 * @param interval time between rows for layouts without timestamps; null = the layout's own (SMD 1
 *     min, JumpStarter 5 min)
 * @param entities read only these entities; empty = all
 */
public record DatasetOptions(Split split, Instant start, Duration interval, Set<String> entities) {

  /** The fixed default start keeps synthetic timestamps, and so sample ids, the same on every replay. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  public DatasetOptions {
    requireNonNull(split, "split");
    requireNonNull(start, "start");
    if (interval != null && (interval.isNegative() || interval.isZero())) {
      throw new IllegalArgumentException("interval must be positive: " + interval);
    }
    entities = Set.copyOf(entities == null ? Set.of() : entities);
  }

  public static DatasetOptions defaults() {
    return new DatasetOptions(Split.ALL, DEFAULT_START, null, Set.of());
  }

  public DatasetOptions withSplit(Split s) {
    return new DatasetOptions(s, start, interval, entities);
  }

  public DatasetOptions withEntities(Set<String> e) {
    return new DatasetOptions(split, start, interval, e);
  }
}
