package io.vigil.model;

import static java.util.Objects.requireNonNull;

import ai.djl.Model;
import ai.djl.inference.Predictor;

/**
 * A model in memory: its spec and the DJL {@link Model} holding its block and parameters (native
 * memory: close it). Make one {@link Predictor} per thread with {@link #newPredictor()}; predictors
 * are not thread-safe.
 */
public record ModelArtifact(ModelSpec spec, Model model) implements AutoCloseable {

  public ModelArtifact {
    requireNonNull(spec, "spec");
    requireNonNull(model, "model");
  }

  public Predictor<FeatureBatch, ScoreBatch> newPredictor() {
    return model.newPredictor(new ScoringTranslator(spec));
  }

  @Override
  public void close() {
    model.close();
  }
}
