package io.vigil.features;

import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.SampleIds;
import java.time.Instant;
import java.util.List;

/** Builds the Avro {@link FeatureVector} of one computed sample; the same code online and offline. */
public final class FeatureVectors {

  private FeatureVectors() {}

  /**
   * @param values the features, in {@link FeatureSet#featureNames()} order; the vector keeps this
   *     array (a {@link FeatureValues} view, no boxing), so the caller must not reuse it
   * @param names feature names to embed, or an empty list to omit them (consumers resolve them from
   *     the feature set version)
   */
  public static FeatureVector of(String entity, long windowStart, long windowEnd, FeatureSet set,
      String setVersion, List<String> names, double[] values, long sequence) {
    Instant end = Instant.ofEpochMilli(windowEnd);
    return FeatureVector.newBuilder()
        .setSampleId(SampleIds.of(entity, end, setVersion))
        .setEntity(entity)
        .setWindowStart(Instant.ofEpochMilli(windowStart))
        .setWindowEnd(end)
        .setFeatureSetId(set.id())
        .setFeatureSetVersion(setVersion)
        .setNames(names)
        .setValues(new FeatureValues(values))
        .setSequence(sequence)
        .build();
  }
}
