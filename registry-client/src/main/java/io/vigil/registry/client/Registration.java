package io.vigil.registry.client;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What to register: the artifacts a run uploaded under {@code artifactPath}, with the lineage tags
 * every Vigil model carries.
 *
 * @param modelName registered model name (created if missing)
 * @param runId the run whose artifact_uri holds the artifacts
 * @param artifactPath path under the run's artifact_uri, e.g. "model"
 * @param featureSetVersion feature-set version the model was trained on
 * @param trainingDataSnapshot identifier of the training data snapshot (e.g. label offsets)
 * @param sampleIdRange first..last sample id of the training data
 * @param description optional, may be null
 * @param extraTags further version tags
 * @param actor who registers
 */
public record Registration(String modelName, String runId, String artifactPath,
    String featureSetVersion, String trainingDataSnapshot, String sampleIdRange, String description,
    Map<String, String> extraTags, String actor) {

  public static final String FEATURE_SET_TAG = "vigil.feature_set_version";
  public static final String SNAPSHOT_TAG = "vigil.training_data_snapshot";
  public static final String SAMPLE_RANGE_TAG = "vigil.sample_id_range";

  public Registration {
    requireNonNull(modelName, "modelName");
    requireNonNull(runId, "runId");
    requireNonNull(artifactPath, "artifactPath");
    requireNonNull(featureSetVersion, "featureSetVersion");
    requireNonNull(trainingDataSnapshot, "trainingDataSnapshot");
    requireNonNull(sampleIdRange, "sampleIdRange");
    extraTags = Map.copyOf(extraTags == null ? Map.of() : extraTags);
    requireNonNull(actor, "actor");
  }

  /** Lineage tags plus the extra tags. */
  public Map<String, String> tags() {
    Map<String, String> t = new LinkedHashMap<>(extraTags);
    t.put(FEATURE_SET_TAG, featureSetVersion);
    t.put(SNAPSHOT_TAG, trainingDataSnapshot);
    t.put(SAMPLE_RANGE_TAG, sampleIdRange);
    return t;
  }
}
