package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

/**
 * One row's answer from the serving process.
 *
 * @param modelAlias the alias the version was resolved through, or null when the server did not say
 * @param probability the model's {@code probability} output, or null when it has none
 * @param attributions per-feature shares of the score (input order), or null when the model has none
 * @param featureSetVersion the model's feature-set version, or null when the server did not say
 */
public record InferAnswer(String modelName, String modelVersion, String modelAlias, double score,
    Double probability, double uncertainty, double threshold, float[] attributions,
    String featureSetVersion) {

  public InferAnswer {
    requireNonNull(modelName, "modelName");
    requireNonNull(modelVersion, "modelVersion");
  }
}
