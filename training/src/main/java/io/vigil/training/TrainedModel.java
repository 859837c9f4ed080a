package io.vigil.training;

import static java.util.Objects.requireNonNull;

import io.vigil.model.ModelArtifact;
import java.util.List;

/**
 * A trained model and what training learned about it.
 *
 * @param artifact the model (spec with normalization, scale and threshold; parameters)
 * @param epochLosses mean training loss per epoch
 * @param validationScores scaled scores of the held-out training rows (the reference for the score
 *     histogram)
 * @param fitRows rows the network was fitted on
 * @param seconds wall time of training and calibration
 */
public record TrainedModel(ModelArtifact artifact, List<Double> epochLosses, float[] validationScores,
    int fitRows, double seconds) implements AutoCloseable {

  public TrainedModel {
    requireNonNull(artifact, "artifact");
    epochLosses = List.copyOf(epochLosses);
    requireNonNull(validationScores, "validationScores");
  }

  @Override
  public void close() {
    artifact.close();
  }
}
