package io.vigil.registry.client;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A registered model version as the registry reports it. */
public record ModelVersionInfo(String name, String version, String source, String runId,
    String currentStage, Map<String, String> tags, List<String> aliases) {

  public ModelVersionInfo {
    requireNonNull(name, "name");
    requireNonNull(version, "version");
    requireNonNull(source, "source");
    runId = runId == null ? "" : runId;
    currentStage = currentStage == null ? "None" : currentStage;
    tags = Map.copyOf(tags);
    aliases = List.copyOf(aliases);
  }

  /** The SHA-256 recorded at registration, if any. */
  public Optional<String> checksum() {
    return Optional.ofNullable(tags.get(ArtifactChecksum.TAG));
  }
}
