package io.vigil.serving;

import static java.util.Objects.requireNonNull;

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
import java.util.stream.Stream;

/**
 * Serves one model artifact directory as version {@code version} of {@code name}, under every
 * alias: for running without a registry ({@code vigil serve --model-dir}) and for benchmarks. No
 * checksum is involved; the registry is the place for that.
 */
public final class DirectoryModelSource implements ModelSource {

  private final String name;
  private final String version;
  private final Path dir;

  public DirectoryModelSource(String name, String version, Path dir) {
    this.name = requireNonNull(name, "name");
    this.version = requireNonNull(version, "version");
    this.dir = requireNonNull(dir, "dir").toAbsolutePath();
  }

  @Override
  public Optional<ModelVersionInfo> byAlias(String model, String alias) {
    return model.equals(name) ? Optional.of(info()) : Optional.empty();
  }

  @Override
  public ModelVersionInfo version(String model, String v) {
    if (!model.equals(name) || !v.equals(version)) {
      throw new RegistryException(404, "RESOURCE_DOES_NOT_EXIST", "only " + name + " version " + version
          + " is served from " + dir, null);
    }
    return info();
  }

  @Override
  public DownloadedModel download(String model, String v, Path target) {
    ModelVersionInfo info = version(model, v);
    try {
      Files.createDirectories(target);
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.copy(f, target.resolve(f.getFileName()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the model in " + dir, e);
    }
    return new DownloadedModel(info, target, "unverified");
  }

  private ModelVersionInfo info() {
    return new ModelVersionInfo(name, version, dir.toUri().toString(), "", "None", Map.of(), List.of());
  }
}
