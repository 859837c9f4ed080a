package io.vigil.registry.client;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/** A model version's artifacts on local disk, already checked against their recorded SHA-256. */
public record DownloadedModel(ModelVersionInfo version, Path directory, String sha256) {
  public DownloadedModel {
    requireNonNull(version, "version");
    requireNonNull(directory, "directory");
    requireNonNull(sha256, "sha256");
  }
}
