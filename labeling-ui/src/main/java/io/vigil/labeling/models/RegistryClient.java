package io.vigil.labeling.models;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the models page needs from the model registry. */
public interface RegistryClient {

  /** A model version as the registry describes it. */
  record ModelVersion(String name, String version, String runId, Map<String, String> tags) {
    public ModelVersion {
      tags = Map.copyOf(tags);
    }
  }

  /** One move of an alias, newest first in {@link #aliasHistory}. */
  record AliasChange(String alias, String version, String previousVersion, String actor,
      String reason, long timestamp) {}

  /** The version an alias points at, if the alias is set. */
  Optional<ModelVersion> alias(String model, String alias);

  /** The metrics of a training run. */
  Map<String, Double> runMetrics(String runId);

  /** Alias moves, newest first. */
  List<AliasChange> aliasHistory(String model);

  /** Points an alias at a version, as {@code actor}. */
  void setAlias(String model, String alias, String version, String actor, String reason);

  /** Thrown when the registry cannot be reached or answers with an error. */
  final class RegistryException extends RuntimeException {
    public RegistryException(String message) {
      super(message);
    }

    public RegistryException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
