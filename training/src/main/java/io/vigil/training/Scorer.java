package io.vigil.training;

import static java.util.Objects.requireNonNull;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ScoreBatch;

/**
 * Scores feature rows with a model through the same translator serving uses. Not thread-safe (one
 * DJL predictor); close it.
 */
public final class Scorer implements AutoCloseable {

  private static final int CHUNK = 4096;

  private final Predictor<FeatureBatch, ScoreBatch> predictor;
  private final int cols;

  public Scorer(ModelArtifact artifact) {
    requireNonNull(artifact, "artifact");
    this.predictor = artifact.newPredictor();
    this.cols = artifact.spec().inputSize();
  }

  /** Scores one batch of rows. */
  public ScoreBatch score(float[] values, int rows) {
    try {
      return predictor.predict(new FeatureBatch(values, rows, cols));
    } catch (TranslateException e) {
      throw new IllegalStateException("scoring failed: " + e.getMessage(), e);
    }
  }

  /** Scaled scores of every row of {@code m}, in chunks. */
  public float[] scores(FeatureMatrix m) {
    float[] out = new float[m.rows()];
    for (int from = 0; from < m.rows(); from += CHUNK) {
      int to = Math.min(m.rows(), from + CHUNK);
      float[] v = new float[(to - from) * cols];
      System.arraycopy(m.values(), from * cols, v, 0, v.length);
      System.arraycopy(score(v, to - from).scores(), 0, out, from, to - from);
    }
    return out;
  }

  /** Every answer (scores, uncertainty, attributions, probability) for every row of {@code m}, in chunks. */
  public ScoreBatch scoreAll(FeatureMatrix m) {
    float[] s = new float[m.rows()];
    float[] u = new float[m.rows()];
    float[] a = null;
    float[] p = null;
    for (int from = 0; from < m.rows(); from += CHUNK) {
      int to = Math.min(m.rows(), from + CHUNK);
      float[] v = new float[(to - from) * cols];
      System.arraycopy(m.values(), from * cols, v, 0, v.length);
      ScoreBatch b = score(v, to - from);
      System.arraycopy(b.scores(), 0, s, from, to - from);
      System.arraycopy(b.uncertainty(), 0, u, from, to - from);
      if (b.attributions() != null) {
        a = a == null ? new float[m.rows() * cols] : a;
        System.arraycopy(b.attributions(), 0, a, from * cols, (to - from) * cols);
      }
      if (b.probability() != null) {
        p = p == null ? new float[m.rows()] : p;
        System.arraycopy(b.probability(), 0, p, from, to - from);
      }
    }
    return new ScoreBatch(s, u, a, cols, p);
  }

  @Override
  public void close() {
    predictor.close();
  }
}
