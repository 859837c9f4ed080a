package io.vigil.registry.client;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * One move of an alias: which version it pointed to afterwards (empty = removed), before, who moved
 * it, why, and when.
 */
public record AliasChange(String alias, Optional<String> version, Optional<String> previousVersion,
    String actor, Optional<String> reason, Instant timestamp) {

  public AliasChange {
    requireNonNull(alias, "alias");
    requireNonNull(version, "version");
    requireNonNull(previousVersion, "previousVersion");
    requireNonNull(actor, "actor");
    requireNonNull(reason, "reason");
    requireNonNull(timestamp, "timestamp");
  }
}
