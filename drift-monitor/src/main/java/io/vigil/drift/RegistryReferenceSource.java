package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.DownloadedModel;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code reference-profile.json} of a model version from the registry: the version's
 * artifacts are downloaded (checksum verified by {@link RegistryClient#download}) into a temporary
 * directory, the profile read, the directory deleted. Callers cache the result per version.
 */
public final class RegistryReferenceSource implements ReferenceSource {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(RegistryReferenceSource.class);

  private final DriftJobConfig.Registry settings;
  private transient RegistryClient client;

  public RegistryReferenceSource(DriftJobConfig.Registry settings) {
    this.settings = requireNonNull(settings, "settings");
  }

  @Override
  public void open() {
    if (client == null) {
      client = new RegistryClient(ClientSettings.of(settings.trackingUri(), settings.s3Endpoint(),
          settings.accessKey(), settings.secretKey()), ModelEventPublisher.discarding(), Clock.systemUTC());
    }
  }

  @Override
  public ReferenceProfile load(String modelName, String version) {
    open();
    Path dir = null;
    try {
      dir = Files.createTempDirectory("vigil-drift-ref");
      DownloadedModel m = client.download(modelName, version, dir.resolve("model"));
      Path file = m.directory().resolve(ReferenceProfile.FILE);
      if (!Files.isRegularFile(file)) {
        throw new ReferenceSource.ReferenceUnavailableException("model " + modelName + " version "
            + version + " has no " + ReferenceProfile.FILE + " among its artifacts", null);
      }
      ReferenceProfile p = ReferenceProfile.read(file);
      LOG.info("reference profile of {} version {}: {} features, {} rows, feature set {}", modelName,
          version, p.features().size(), p.rows(), p.featureSetVersion());
      return p;
    } catch (ReferenceSource.ReferenceUnavailableException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ReferenceSource.ReferenceUnavailableException("cannot load the reference profile of model "
          + modelName + " version " + version + ": " + e.getMessage(), e);
    } finally {
      if (dir != null) {
        RegistryClient.deleteDownload(dir);
      }
    }
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
      client = null;
    }
  }
}
