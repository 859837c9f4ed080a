package io.vigil.serving;

import io.vigil.registry.client.DownloadedModel;
import io.vigil.registry.client.ModelVersionInfo;
import java.nio.file.Path;
import java.util.Optional;

/** Where model versions come from: the registry in production, the same registry in tests. */
public interface ModelSource {

  /** The version an alias points to, or empty when the alias is not set. */
  Optional<ModelVersionInfo> byAlias(String name, String alias);

  /** A version by number; throws when it does not exist. */
  ModelVersionInfo version(String name, String version);

  /**
   * Downloads a version's artifacts into {@code target} (which must not exist) after verifying
   * their recorded checksum; throws when they do not match.
   */
  DownloadedModel download(String name, String version, Path target);
}
