package io.vigil.model;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Scores a whole {@link FeatureBatch} as one {@code (rows, cols)} NDArray — no per-row arrays and
 * no {@code Batchifier.STACK}, which costs ~25x more on small rows. Only the network runs on the
 * engine; standardisation before it, and the reconstruction error, score mix and attributions
 * after it, are plain loops here: each engine operation costs 3–20 µs of call overhead whatever its
 * size (JNI and the engine's dispatch), about 10 of them per call made up most of a small batch's
 * time, and the loops over a batch of a few rows take a few microseconds. The elementwise steps
 * are the same float operations the engine did (bit for bit); sums over a row are taken in double,
 * so a score can differ from the engine's float sum in its last bits. Scaling, uncertainty and the
 * supervised head (when the spec has one: {@link ModelSpec.Head}) in Java. Attributions are left
 * out when the batch does not ask for them ({@link FeatureBatch#attributions()}) and the model has
 * no head.
 *
 * <p>The input goes to the engine through a direct buffer this translator keeps and reuses (one per
 * translator, so one per predictor, and a predictor is used by one thread at a time): handing DJL a
 * heap array makes it allocate a fresh direct buffer per call (314 KB for 256 rows of 307 features,
 * zeroed, and freed only when a GC runs its cleaner) and copy into it. The engine's tensor is a
 * view of that buffer and is closed with the call's manager before the next call refills it.
 */
public final class ScoringTranslator implements NoBatchifyTranslator<FeatureBatch, ScoreBatch> {

  private static final String BATCH = "vigil.batch";
  private static final String ATTRIBUTIONS = "vigil.attributions";

  private final ModelSpec spec;
  private final float[] center;
  private final float[] scale;
  private final float[] errorScale;
  /** The input rows of the current call; grown when a larger batch comes. */
  private ByteBuffer input;
  /** The standardised and clipped inputs of the current call, when the model has a normalization; grown likewise. */
  private float[] standardised = new float[0];
  /** The network's input values of the current call: the batch's own values, or {@link #standardised}. */
  private float[] x;
  /** The network's output values of the current call; grown likewise. */
  private float[] y = new float[0];

  public ScoringTranslator(ModelSpec spec) {
    this.spec = requireNonNull(spec, "spec");
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
    if (batch.cols() != spec.inputSize()) {
      throw new IllegalArgumentException("the model takes " + spec.inputSize()
          + " features per row, the batch has " + batch.cols());
    }
    float[] v = batch.values();
    ModelSpec.Normalization n = spec.normalization();
    if (n == null) {
      x = v;
    } else {
      if (standardised.length < v.length) {
        standardised = new float[v.length];
      }
      x = standardised;
      int cols = batch.cols();
      boolean clipped = n.clip() > 0;
      float clip = (float) n.clip();
      for (int at = 0; at < v.length; at += cols) {
        for (int j = 0; j < cols; j++) {
          float z = (v[at + j] - center[j]) / scale[j];
          x[at + j] = clipped ? Math.max(-clip, Math.min(clip, z)) : z;
        }
      }
    }
    int bytes = v.length * Float.BYTES;
    if (input == null || input.capacity() < bytes) {
      input = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    input.clear();
    input.asFloatBuffer().put(x, 0, v.length);
    input.limit(bytes);
    ctx.setAttachment(BATCH, batch);
    ctx.setAttachment(ATTRIBUTIONS, batch.attributions() || spec.head() != null);
    return new NDList(ctx.getNDManager().create(input, new Shape(batch.rows(), batch.cols()), DataType.FLOAT32));
  }

  @Override
  public ScoreBatch processOutput(TranslatorContext ctx, NDList list) {
    NDArray out = list.singletonOrThrow();
    FeatureBatch batch = (FeatureBatch) ctx.getAttachment(BATCH);
    int rows = batch.rows();
    int cols = batch.cols();
    float[] raw = new float[rows];
    float[] attributions = null;
    switch (spec.architecture().kind()) {
      case AUTOENCODER -> {
        boolean withAttributions = (Boolean) ctx.getAttachment(ATTRIBUTIONS);
        attributions = withAttributions ? new float[rows * cols] : null;
        // a view of the engine's output (no copy into a fresh array, as toFloatArray() makes two: 314 KB
        // each for 256 rows), read once into this translator's reused array
        int values = rows * cols;
        if (y.length < values) {
          y = new float[values];
        }
        out.toByteBuffer(true).asFloatBuffer().get(y, 0, values);
        reconstruction(batch, y, raw, attributions);
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

  /**
   * The autoencoder's raw score per row — the mean squared residual {@code (x - out) / errorScale},
   * mixed with a deviation part when the spec says so — and, when {@code attributions} is not null,
   * each feature's share of the row's score (rows x cols, each row summing to 1). The loops are
   * written so that the JIT can vectorise them: no reduction inside an elementwise pass, and the
   * sums with four independent accumulators.
   */
  private void reconstruction(FeatureBatch batch, float[] out, float[] raw, float[] attributions) {
    int rows = batch.rows();
    int cols = batch.cols();
    float[] v = batch.values();
    ModelSpec.Normalization n = spec.normalization();
    ModelSpec.ScoreMix mix = n == null ? null : n.mix();
    boolean squaredZ = mix != null && mix.deviation() == ModelSpec.MixComponent.MEAN_SQUARED_Z;
    float zClip = !squaredZ ? 0 : (float) (mix.zClip() == null ? n.clip() : mix.zClip());
    // with a squared-z mix, each feature's part of the mixed score (before the centers are subtracted)
    float sqWeight = !squaredZ ? 1 : (float) ((1 - mix.maxZWeight()) / mix.reconstructionSpread());
    float dzWeight = !squaredZ ? 0 : (float) (mix.maxZWeight() / mix.maxZSpread());
    float[] sq = new float[cols];
    float[] dz2 = squaredZ ? new float[cols] : null;
    float[] shares = squaredZ ? new float[cols] : sq;
    for (int i = 0; i < rows; i++) {
      int at = i * cols;
      if (errorScale != null) {
        for (int j = 0; j < cols; j++) {
          float r = (x[at + j] - out[at + j]) / errorScale[j];
          sq[j] = r * r;
        }
      } else {
        for (int j = 0; j < cols; j++) {
          float r = x[at + j] - out[at + j];
          sq[j] = r * r;
        }
      }
      double sqSum = sum(sq, cols);
      double reconstruction = sqSum / cols;
      double shareSum = sqSum;
      double deviation = 0;
      if (squaredZ) {
        for (int j = 0; j < cols; j++) {
          float z = (v[at + j] - center[j]) / scale[j];
          if (zClip > 0) {
            z = Math.max(-zClip, Math.min(zClip, z));
          }
          dz2[j] = z * z;
          shares[j] = sq[j] * sqWeight + dz2[j] * dzWeight;
        }
        deviation = sum(dz2, cols) / cols;
        shareSum = sum(shares, cols);
      } else if (mix != null) {
        float max = 0;
        for (int j = 0; j < cols; j++) {
          max = Math.max(max, Math.abs(x[at + j]));
        }
        deviation = max;
      }
      raw[i] = (float) (mix == null ? reconstruction
          : (reconstruction - mix.reconstructionCenter()) / mix.reconstructionSpread() * (1 - mix.maxZWeight())
              + (deviation - mix.maxZCenter()) / mix.maxZSpread() * mix.maxZWeight());
      if (attributions != null) {
        float inverse = 1 / ((float) shareSum + 1e-12f);
        for (int j = 0; j < cols; j++) {
          attributions[at + j] = shares[j] * inverse;
        }
      }
    }
  }

  /** The sum of {@code a[0..n)} in double, in four independent parts. */
  private static double sum(float[] a, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int j = 0;
    for (; j + 3 < n; j += 4) {
      s0 += a[j];
      s1 += a[j + 1];
      s2 += a[j + 2];
      s3 += a[j + 3];
    }
    for (; j < n; j++) {
      s0 += a[j];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
