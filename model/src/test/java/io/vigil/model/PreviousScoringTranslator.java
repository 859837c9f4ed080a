package io.vigil.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.FloatBuffer;

/**
 * The translator as it was before it reused its input buffers and could leave attributions out,
 * kept verbatim as the reference the current one must match bit for bit.
 */
final class PreviousScoringTranslator implements NoBatchifyTranslator<FeatureBatch, ScoreBatch> {

  private static final String INPUT = "vigil.input";

  private final ModelSpec spec;
  private final float[] center;
  private final float[] scale;
  private final float[] errorScale;

  PreviousScoringTranslator(ModelSpec spec) {
    this.spec = spec;
    ModelSpec.Normalization n = spec.normalization();
    this.center = n == null ? null : floats(n.center());
    this.scale = n == null ? null : floats(n.scale());
    this.errorScale = n == null ? null : floats(n.errorScale());
  }

  private static float[] floats(java.util.List<Double> values) {
    float[] f = new float[values.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = values.get(i).floatValue();
    }
    return f;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, FeatureBatch batch) {
    NDArray x = ctx.getNDManager().create(FloatBuffer.wrap(batch.values()),
        new Shape(batch.rows(), batch.cols()));
    ModelSpec.Normalization n = spec.normalization();
    if (n != null) {
      x = x.sub(ctx.getNDManager().create(center)).div(ctx.getNDManager().create(scale));
      if (n.clip() > 0) {
        x = x.clip(-n.clip(), n.clip());
      }
    }
    ctx.setAttachment(INPUT, x);
    return new NDList(x);
  }

  @Override
  public ScoreBatch processOutput(TranslatorContext ctx, NDList list) {
    NDArray out = list.singletonOrThrow();
    NDArray x = (NDArray) ctx.getAttachment(INPUT);
    int rows = (int) x.getShape().get(0);
    int cols = (int) x.getShape().get(1);
    float[] raw;
    float[] attributions = null;
    switch (spec.architecture().kind()) {
      case AUTOENCODER -> {
        NDArray residual = x.sub(out);
        if (errorScale != null) {
          residual = residual.div(ctx.getNDManager().create(errorScale));
        }
        NDArray sq = residual.square();
        NDArray rawArray = sq.mean(new int[] {1});
        ModelSpec.Normalization n = spec.normalization();
        if (n != null && n.mix() != null) {
          ModelSpec.ScoreMix mix = n.mix();
          NDArray maxZ = x.abs().max(new int[] {1});
          rawArray = rawArray.sub(mix.reconstructionCenter()).div(mix.reconstructionSpread())
              .mul(1 - mix.maxZWeight())
              .add(maxZ.sub(mix.maxZCenter()).div(mix.maxZSpread()).mul(mix.maxZWeight()));
        }
        raw = rawArray.toFloatArray();
        attributions = sq.div(sq.sum(new int[] {1}, true).add(1e-12f)).toFloatArray();
      }
      case MLP -> raw = out.reshape(rows).toFloatArray();
      default -> throw new IllegalStateException("unknown kind " + spec.architecture().kind());
    }
    float[] scores = new float[rows];
    float[] uncertainty = new float[rows];
    ModelSpec.ScoreScale scale = spec.scale();
    ModelSpec.Head head = spec.head();
    float[] probability = head == null ? null : new float[rows];
    double[] f = head == null ? null : new double[head.inputCount()];
    for (int i = 0; i < rows; i++) {
      double s = scale.scale(raw[i]);
      scores[i] = (float) s;
      if (head == null) {
        uncertainty[i] = (float) scale.uncertainty(s);
      } else {
        head.inputs(scores[i], attributions, i, cols, f);
        double p = head.probability(f);
        probability[i] = (float) p;
        uncertainty[i] = (float) ModelSpec.Head.entropy(p);
      }
    }
    return new ScoreBatch(scores, uncertainty, attributions, cols, probability);
  }
}
