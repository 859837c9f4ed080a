package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Per-subtask cache of prepared references: each model version's profile is fetched once (a model
 * swap shows up as a new version in the predictions, and gets its own entry). A failed fetch is
 * remembered for {@code retryAfterMillis}, so a missing profile does not hammer the registry. Not
 * thread-safe (one per operator instance).
 */
public final class ReferenceCache {

  private final ReferenceSource source;
  private final FeatureMetrics metrics;
  private final long retryAfterMillis;
  private final LongSupplier clock;
  private final Map<String, ReferenceProfile> profiles = new HashMap<>();
  private final Map<String, ReferenceModel> models = new HashMap<>();
  private final Map<String, Failure> failures = new HashMap<>();
  private long fetches;

  private record Failure(RuntimeException error, long at) {}

  public ReferenceCache(ReferenceSource source, FeatureMetrics metrics, long retryAfterMillis, LongSupplier clock) {
    this.source = requireNonNull(source, "source");
    this.metrics = requireNonNull(metrics, "metrics");
    this.retryAfterMillis = retryAfterMillis;
    this.clock = requireNonNull(clock, "clock");
  }

  /** Registry fetches made so far (cache misses). */
  public long fetches() {
    return fetches;
  }

  /** The profile of a version, fetched once. */
  public ReferenceProfile profile(String modelName, String version) {
    String key = DriftInput.modelKey(modelName, version);
    ReferenceProfile p = profiles.get(key);
    if (p != null) {
      return p;
    }
    Failure f = failures.get(key);
    if (f != null && clock.getAsLong() - f.at() < retryAfterMillis) {
      throw f.error();
    }
    try {
      fetches++;
      p = source.load(modelName, version);
      profiles.put(key, p);
      failures.remove(key);
      return p;
    } catch (RuntimeException e) {
      failures.put(key, new Failure(e, clock.getAsLong()));
      throw e;
    }
  }

  /**
   * The reference of a version prepared for vectors whose features are named {@code names} (the
   * layout key tells layouts apart, e.g. the feature-set version).
   */
  public ReferenceModel model(String modelName, String version, String layoutKey, List<String> names) {
    String key = DriftInput.modelKey(modelName, version) + "\u0000" + layoutKey;
    ReferenceModel m = models.get(key);
    if (m == null) {
      m = ReferenceModel.of(modelName, version, profile(modelName, version), names, metrics);
      models.put(key, m);
    }
    return m;
  }

  /** The reference of a version over its own feature order (for evaluating windows). */
  public ReferenceModel model(String modelName, String version) {
    ReferenceModel m = models.get(DriftInput.modelKey(modelName, version) + "\u0000");
    if (m != null) {
      return m;
    }
    ReferenceProfile p = profile(modelName, version);
    return model(modelName, version, "", p.features().stream().map(ReferenceProfile.Hist::name).toList());
  }
}
