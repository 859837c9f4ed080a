package io.vigil.registry.client;

/**
 * A model version's artifacts do not match the SHA-256 checksum recorded when it was registered
 * (or no checksum was recorded). Nothing that fails this check is handed to a loader.
 */
public final class ArtifactIntegrityException extends RegistryException {

  private static final long serialVersionUID = 1L;

  public ArtifactIntegrityException(String message) {
    super(0, "ARTIFACT_INTEGRITY", message, null);
  }
}
