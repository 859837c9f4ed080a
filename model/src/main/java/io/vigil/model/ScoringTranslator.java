package io.vigil.model;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Scores a whole {@link FeatureBatch} as one {@code (rows, cols)} NDArray — no per-row arrays and
 * no {@code Batchifier.STACK}, which costs ~25x more on small rows. The raw score and the
 * attributions are computed on the engine; scaling, uncertainty and the supervised head (when the
 * spec has one: {@link ModelSpec.Head}) in Java. Attributions are left out when the batch does not
 * ask for them ({@link FeatureBatch#attributions()}) and the model has no head.
 *
 * <p>The input goes to the engine through direct buffers this translator keeps and reuses (one per
 * translator, so one per predictor, and a predictor is used by one thread at a time): handing DJL a
 * heap array makes it allocate a fresh direct buffer per call (314 KB for 256 rows of 307 features,
 * zeroed, and freed only when a GC runs its cleaner) and copy into it. The engine's tensor is a
 * view of that buffer and is closed with the call's manager before the next call refills it, and
 * the values it sees are the same, so scores are bit for bit the same.
 */
public final class ScoringTranslator implements NoBatchifyTranslator<FeatureBatch, ScoreBatch> {

  private static final String INPUT = "vigil.input";
  private static final String ATTRIBUTIONS = "vigil.attributions";
  /** The standardised input clamped at the mix's zClip (only for a {@code MEAN_SQUARED_Z} mix). */
  private static final String DEVIATION = "vigil.deviation";

  private final ModelSpec spec;
  private final float[] center;
  private final float[] scale;
  private final float[] errorScale;
  /** center, scale and errorScale as direct buffers in native order, filled once (null without normalization). */
  private final ByteBuffer[] constants;
  /** The input rows of the current call; grown when a larger batch comes. */
  private ByteBuffer input;

  public ScoringTranslator(ModelSpec spec) {
    this.spec = requireNonNull(spec, "spec");
    ModelSpec.Normalization n = spec.normalization();
    this.center = n == null ? null : floats(n.center());
    this.scale = n == null ? null : floats(n.scale());
    this.errorScale = n == null ? null : floats(n.errorScale());
    this.constants = n == null ? null
        : new ByteBuffer[] {direct(center), direct(scale), direct(errorScale)};
  }

  private static ByteBuffer direct(float[] values) {
    ByteBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder());
    b.asFloatBuffer().put(values);
    return b;
  }

  /** {@link #constants} {@code i} (0 center, 1 scale, 2 errorScale) as an array of {@code manager} (a view, never written). */
  private NDArray constant(NDManager manager, int i) {
    return manager.create(constants[i], new Shape(constants[i].capacity() / Float.BYTES), DataType.FLOAT32);
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
    if (batch.cols() != spec.inputSize()) {
      throw new IllegalArgumentException("the model takes " + spec.inputSize()
          + " features per row, the batch has " + batch.cols());
    }
    int bytes = batch.values().length * Float.BYTES;
    if (input == null || input.capacity() < bytes) {
      input = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    input.clear();
    input.asFloatBuffer().put(batch.values());
    input.limit(bytes);
    NDManager manager = ctx.getNDManager();
    NDArray x = manager.create(input, new Shape(batch.rows(), batch.cols()), DataType.FLOAT32);
    ModelSpec.Normalization n = spec.normalization();
    if (n != null) {
      NDArray standardised = x.sub(constant(manager, 0)).div(constant(manager, 1));
      x = standardised;
      if (n.clip() > 0) {
        x = x.clip(-n.clip(), n.clip());
      }
      if (n.mix() != null && n.mix().deviation() == ModelSpec.MixComponent.MEAN_SQUARED_Z) {
        double zClip = n.mix().zClip() == null ? n.clip() : n.mix().zClip();
        ctx.setAttachment(DEVIATION, zClip > 0 ? standardised.clip(-zClip, zClip) : standardised);
      }
    }
    ctx.setAttachment(INPUT, x);
    ctx.setAttachment(ATTRIBUTIONS, batch.attributions() || spec.head() != null);
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
          residual = residual.div(constant(ctx.getNDManager(), 2));
        }
        NDArray sq = residual.square();
        NDArray rawArray = sq.mean(new int[] {1});
        ModelSpec.Normalization n = spec.normalization();
        NDArray shares = sq;
        if (n != null && n.mix() != null) {
          ModelSpec.ScoreMix mix = n.mix();
          NDArray deviation;
          if (mix.deviation() == ModelSpec.MixComponent.MEAN_SQUARED_Z) {
            NDArray dz2 = ((NDArray) ctx.getAttachment(DEVIATION)).square();
            deviation = dz2.mean(new int[] {1});
            // each feature's part of the mixed score (before the centers are subtracted)
            shares = sq.mul((1 - mix.maxZWeight()) / mix.reconstructionSpread())
                .add(dz2.mul(mix.maxZWeight() / mix.maxZSpread()));
          } else {
            deviation = x.abs().max(new int[] {1});
          }
          rawArray = rawArray.sub(mix.reconstructionCenter()).div(mix.reconstructionSpread())
              .mul(1 - mix.maxZWeight())
              .add(deviation.sub(mix.maxZCenter()).div(mix.maxZSpread()).mul(mix.maxZWeight()));
        }
        raw = rawArray.toFloatArray();
        if ((Boolean) ctx.getAttachment(ATTRIBUTIONS)) {
          attributions = shares.div(shares.sum(new int[] {1}, true).add(1e-12f)).toFloatArray();
        }
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
