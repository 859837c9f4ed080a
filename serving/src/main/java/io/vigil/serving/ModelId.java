package io.vigil.serving;

import static java.util.Objects.requireNonNull;

/**
 * One loaded version: the registered name and version, and the alias it was resolved through
 * (null when pinned by version).
 */
public record ModelId(String name, String version, String alias) {
  public ModelId {
    requireNonNull(name, "name");
    requireNonNull(version, "version");
  }

  @Override
  public String toString() {
    return name + "/" + version + (alias == null ? "" : "@" + alias);
  }
}
