package io.vigil.registry.client;

import static java.util.Objects.requireNonNull;

/** A tracking run: its id, experiment and where its artifacts go. */
public record RunRef(String runId, String experimentId, String artifactUri) {
  public RunRef {
    requireNonNull(runId, "runId");
    requireNonNull(experimentId, "experimentId");
    requireNonNull(artifactUri, "artifactUri");
  }
}
