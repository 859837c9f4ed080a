package io.vigil.cli.loop;

import static java.util.Objects.requireNonNull;

import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RegistryException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The model side of lineage: for each registered version of a model, the label snapshot it was
 * trained with (version tag {@value #SNAPSHOT_TAG}) and the sample ids it learned from (the
 * {@value #SAMPLES_FILE} file of its artifacts, one id per line, checked against the registered
 * checksum when downloaded).
 */
public final class ModelLineage implements AutoCloseable {

  public static final String SNAPSHOT_TAG = "vigil.label_snapshot";
  public static final String SAMPLES_FILE = "learned-samples.txt";

  /** What one version learned from. */
  public record VersionLineage(String model, String version, String labelSnapshot, List<String> sampleIds) {}

  private final RegistryClient registry;
  private final String modelName;
  private final boolean owned;

  public ModelLineage(RegistryClient registry, String modelName, boolean closeRegistry) {
    this.registry = requireNonNull(registry, "registry");
    this.modelName = requireNonNull(modelName, "modelName");
    this.owned = closeRegistry;
  }

  /** Every version, oldest first (versions are numbered from 1 without gaps). */
  public List<ModelVersionInfo> versions() {
    List<ModelVersionInfo> out = new ArrayList<>();
    for (int v = 1; ; v++) {
      try {
        out.add(registry.version(modelName, Integer.toString(v)));
      } catch (RegistryException e) {
        if (e.isNotFound()) {
          return out;
        }
        throw e;
      }
    }
  }

  public VersionLineage version(String version) {
    ModelVersionInfo info = registry.version(modelName, version);
    return new VersionLineage(modelName, version, info.tags().getOrDefault(SNAPSHOT_TAG, "none (cold start)"),
        sampleIds(version));
  }

  /** Versions whose training labels include the sample. */
  public List<Lineage.VersionRef> versionsLearnedFrom(String sampleId) {
    List<Lineage.VersionRef> out = new ArrayList<>();
    for (ModelVersionInfo v : versions()) {
      String snapshot = v.tags().get(SNAPSHOT_TAG);
      if (snapshot != null && sampleIds(v.version()).contains(sampleId)) {
        out.add(new Lineage.VersionRef(modelName, v.version(), snapshot));
      }
    }
    return out;
  }

  private List<String> sampleIds(String version) {
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("vigil-lineage-");
      Path dir = tmp.resolve("v");
      registry.download(modelName, version, dir);
      Path file;
      try (Stream<Path> files = Files.walk(dir)) {
        file = files.filter(p -> p.getFileName().toString().equals(SAMPLES_FILE)).findFirst().orElse(null);
      }
      return file == null ? List.of()
          : Files.readAllLines(file).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the lineage of version " + version, e);
    } finally {
      if (tmp != null) {
        try (Stream<Path> walk = Files.walk(tmp)) {
          walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
          // a temporary directory
        }
      }
    }
  }

  @Override
  public void close() {
    if (owned) {
      registry.close();
    }
  }
}
