package io.vigil.drift;

import java.io.Serializable;

/**
 * Where a model version's reference profile comes from. The job uses {@link
 * RegistryReferenceSource}; tests of our own operators may hand-write one.
 */
public interface ReferenceSource extends Serializable {

  /**
   * The reference profile of {@code modelName} version {@code version}.
   *
   * @throws ReferenceUnavailableException when the version or its profile does not exist, or the
   *     registry cannot be reached
   */
  ReferenceProfile load(String modelName, String version);

  /** Opens any connections; called once per subtask before the first {@link #load}. */
  default void open() {}

  /** Closes what {@link #open} opened. */
  default void close() {}

  /** No profile for a model version, and why. */
  final class ReferenceUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReferenceUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
