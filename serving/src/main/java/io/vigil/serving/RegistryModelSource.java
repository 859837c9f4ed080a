package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.vigil.registry.client.DownloadedModel;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.RegistryClient;
import java.nio.file.Path;
import java.util.Optional;

/** {@link ModelSource} over the MLflow-compatible registry; checksums are verified by the client. */
public final class RegistryModelSource implements ModelSource {

  private final RegistryClient client;

  public RegistryModelSource(RegistryClient client) {
    this.client = requireNonNull(client, "client");
  }

  @Override
  public Optional<ModelVersionInfo> byAlias(String name, String alias) {
    return client.byAlias(name, alias);
  }

  @Override
  public ModelVersionInfo version(String name, String version) {
    return client.version(name, version);
  }

  @Override
  public DownloadedModel download(String name, String version, Path target) {
    return client.download(name, version, target);
  }
}
