package io.vigil.registry.server.store;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/** The stored values of the tracking and registry store. All immutable; optional fields may be null. */
public final class Entities {

  private Entities() {}

  public record Experiment(long id, String name, String artifactLocation, String lifecycleStage,
      long creationTime, long lastUpdateTime, Map<String, String> tags) {
    public Experiment {
      requireNonNull(name, "name");
      requireNonNull(artifactLocation, "artifactLocation");
      requireNonNull(lifecycleStage, "lifecycleStage");
      tags = Map.copyOf(tags);
    }
  }

  public record RunInfo(String runId, String runName, long experimentId, String userId,
      String status, long startTime, Long endTime, String artifactUri,
      String lifecycleStage) {
    public RunInfo {
      requireNonNull(runId, "runId");
      requireNonNull(runName, "runName");
      requireNonNull(status, "status");
      requireNonNull(artifactUri, "artifactUri");
      requireNonNull(lifecycleStage, "lifecycleStage");
    }
  }

  public record Metric(String key, double value, long timestamp, long step) {
    public Metric {
      requireNonNull(key, "key");
    }
  }

  /** A run with its latest metric values, params and tags. */
  public record Run(RunInfo info, List<Metric> metrics, Map<String, String> params,
      Map<String, String> tags) {
    public Run {
      requireNonNull(info, "info");
      metrics = List.copyOf(metrics);
      params = Map.copyOf(params);
      tags = Map.copyOf(tags);
    }
  }

  public record RegisteredModel(String name, long creationTime, long lastUpdatedTime,
      String description, String userId, Map<String, String> tags,
      Map<String, Integer> aliases) {
    public RegisteredModel {
      requireNonNull(name, "name");
      tags = Map.copyOf(tags);
      aliases = Map.copyOf(aliases);
    }
  }

  public record ModelVersion(String name, int version, long creationTime, long lastUpdatedTime,
      String description, String userId, String currentStage, String source,
      String runId, String runLink, String status,
      String statusMessage, Map<String, String> tags, List<String> aliases) {
    public ModelVersion {
      requireNonNull(name, "name");
      requireNonNull(currentStage, "currentStage");
      requireNonNull(source, "source");
      requireNonNull(status, "status");
      tags = Map.copyOf(tags);
      aliases = List.copyOf(aliases);
    }
  }

  /** One move of an alias; {@code version} null means the alias was removed. */
  public record AliasChange(String name, String alias, Integer version,
      Integer previousVersion, String actor, String reason, long timestamp) {
    public AliasChange {
      requireNonNull(name, "name");
      requireNonNull(alias, "alias");
      requireNonNull(actor, "actor");
    }
  }
}
