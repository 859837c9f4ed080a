package io.vigil.serving;

import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.registry.client.DownloadedModel;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.RegistryException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A hand-written {@link ModelSource} over local directories, for tests about batching and logging
 * that do not need the registry (the registry path has its own tests).
 */
final class LocalModelSource implements ModelSource {

  private final Path root;
  private final Map<String, Path> versions = new ConcurrentHashMap<>();
  private final Map<String, String> aliases = new ConcurrentHashMap<>();

  LocalModelSource(Path root) {
    this.root = root;
  }

  /** Builds and saves a model drawn from {@code seed} as {@code version}, and points {@code alias} at it. */
  void add(String name, String version, long seed, String alias) {
    add(name, version, TestRegistry.spec(seed), alias);
  }

  /** Builds and saves a model of {@code spec} as {@code version}, and points {@code alias} at it. */
  void add(String name, String version, io.vigil.model.ModelSpec spec, String alias) {
    Path dir = root.resolve(name + "-" + version);
    try (ModelArtifact m = ModelArtifacts.create(spec)) {
      ModelArtifacts.save(m, dir);
    }
    versions.put(name + "/" + version, dir);
    if (alias != null) {
      aliases.put(name + "@" + alias, version);
    }
  }

  @Override
  public Optional<ModelVersionInfo> byAlias(String name, String alias) {
    return Optional.ofNullable(aliases.get(name + "@" + alias)).map(v -> version(name, v));
  }

  @Override
  public ModelVersionInfo version(String name, String version) {
    if (!versions.containsKey(name + "/" + version)) {
      throw new RegistryException(404, "RESOURCE_DOES_NOT_EXIST", "no " + name + "/" + version, null);
    }
    return new ModelVersionInfo(name, version, versions.get(name + "/" + version).toString(), "", "None",
        Map.of(), List.of());
  }

  @Override
  public DownloadedModel download(String name, String version, Path target) {
    Path from = versions.get(name + "/" + version);
    try {
      Files.createDirectories(target);
      try (Stream<Path> files = Files.list(from)) {
        for (Path f : files.toList()) {
          Files.copy(f, target.resolve(f.getFileName()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new DownloadedModel(version(name, version), target, "local");
  }
}
