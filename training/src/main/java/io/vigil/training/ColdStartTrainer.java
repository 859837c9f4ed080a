package io.vigil.training;

import static java.util.Objects.requireNonNull;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelSpec;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the cold-start scorer: an autoencoder over standardised rolling features (ADR 0001), with
 * no labels; optionally its reconstruction error is mixed with the rows' squared standardised
 * deviation (ADR 0008).
 *
 * <ol>
 *   <li>The time-ordered training rows are split: the first {@code 1 - validationShare} fit the
 *       network, the rest are held out.
 *   <li>Per-feature mean and standard deviation of the fit rows standardise the inputs (stored in
 *       the spec, so scoring applies the same).
 *   <li>The network is trained with Adam on the mean squared reconstruction error; weights and
 *       batch order come from the seed.
 *   <li>Each feature's typical error (root mean square residual on the fit rows, floored) becomes
 *       its error scale: reconstruction part = mean of squared normalised residuals.
 *   <li>With {@code maxZWeight > 0} the raw score mixes that part with a deviation part ({@code
 *       MEAN_SQUARED_Z}: the mean squared standardised input, clamped at {@code
 *       mixClip}), each first scaled by its own held-out median and p99 (ADR 0008); attributions
 *       are each feature's share of the mixed score.
 *   <li>On the held-out rows: center = median raw score, spread = p99 - median, threshold = the
 *       {@code thresholdQuantile} of their scaled scores. No label is used anywhere.
 * </ol>
 */
public final class ColdStartTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(ColdStartTrainer.class);

  private final ColdStartConfig config;

  public ColdStartTrainer(ColdStartConfig config) {
    this.config = requireNonNull(config, "config");
  }

  /** Splits time-ordered {@code data}: the last {@code validationShare} is held out. */
  public TrainedModel train(FeatureMatrix data, String featureSetId, String featureSetVersion,
      EpochListener listener) {
    int validation = (int) Math.round(data.rows() * config.validationShare());
    int fitRows = data.rows() - validation;
    if (fitRows < 2 || validation < 2) {
      throw new IllegalArgumentException("too few training rows (" + data.rows()
          + ") to fit and hold out " + config.validationShare());
    }
    return train(data.slice(0, fitRows), data.slice(fitRows, data.rows()), featureSetId,
        featureSetVersion, listener);
  }

  /**
   * Fits on {@code fit}, calibrates the score scale and threshold on {@code held} (rows the network
   * never saw).
   */
  public TrainedModel train(FeatureMatrix fit, FeatureMatrix held, String featureSetId,
      String featureSetVersion, EpochListener listener) {
    long t0 = System.nanoTime();
    int cols = fit.cols();
    int fitRows = fit.rows();
    if (fitRows < 2 || held.rows() < 2 || !held.featureNames().equals(fit.featureNames())) {
      throw new IllegalArgumentException("need at least 2 fit and 2 held-out rows of the same features");
    }
    FeatureMatrix data = fit;
    double[] center = new double[cols];
    double[] scale = new double[cols];
    standardisation(fit, center, scale);
    float[] z = standardise(fit, center, scale, config.clip());

    ModelSpec.Inputs inputs = new ModelSpec.Inputs(data.featureNames(), featureSetId, featureSetVersion);
    ModelSpec spec = ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.AUTOENCODER,
        config.hiddenSizes()), inputs, ModelSpec.ScoreScale.identity(1.0), config.seed());
    ModelArtifact artifact = ModelArtifacts.create(spec);
    try {
      List<Double> losses = fitNetwork(artifact.model(), z, fitRows, cols, listener);
      double[] errorScale = errorScales(artifact.model(), z, fitRows, cols);
      ModelSpec.Normalization norm = new ModelSpec.Normalization(boxed(center), boxed(scale),
          boxed(errorScale), config.clip());
      ModelSpec normalized = spec.withNormalization(norm);
      // raw scores of the held-out rows: identity scale, so "scores" are raw
      float[] raw = rawScores(normalized, artifact, held);
      if (config.maxZWeight() > 0) {
        boolean squaredZ = config.mixComponent() == ModelSpec.MixComponent.MEAN_SQUARED_Z;
        // MAX_ABS_Z is written as the original five-field mix (no component, no zClip)
        ModelSpec.MixComponent component = squaredZ ? ModelSpec.MixComponent.MEAN_SQUARED_Z : null;
        Double zClip = squaredZ && config.mixClip() > 0 ? config.mixClip() : null;
        // the deviation part alone, as the translator computes it: weight 1, center 0, spread 1
        float[] deviation = rawScores(spec.withNormalization(norm.withMix(new ModelSpec.ScoreMix(1, 0, 1,
            0, 1, component, zClip))), artifact, held);
        double[] r = toSortedDoubles(raw);
        double[] d = toSortedDoubles(deviation);
        ModelSpec.ScoreMix mix = new ModelSpec.ScoreMix(config.maxZWeight(), quantile(r, 0.5),
            positiveSpread(r), quantile(d, 0.5), positiveSpread(d), component, zClip);
        normalized = spec.withNormalization(norm.withMix(mix));
        raw = rawScores(normalized, artifact, held);
      }
      double[] sorted = toSortedDoubles(raw);
      double median = quantile(sorted, 0.5);
      double spread = quantile(sorted, 0.99) - median;
      if (!(spread > 1e-9)) {
        spread = Math.max(1e-9, Math.abs(median) * 1e-3 + 1e-9);
      }
      double threshold = (quantile(sorted, config.thresholdQuantile()) - median) / spread;
      ModelSpec.ScoreScale scaleSpec = new ModelSpec.ScoreScale(median, spread, threshold);
      ModelSpec finalSpec = normalized.withScale(scaleSpec);
      float[] scaled = new float[raw.length];
      for (int i = 0; i < raw.length; i++) {
        scaled[i] = (float) scaleSpec.scale(raw[i]);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      LOG.debug("trained {} rows x {} features in {} s", fitRows, cols, seconds);
      return new TrainedModel(new ModelArtifact(finalSpec, artifact.model()), losses, scaled, fitRows,
          seconds);
    } catch (RuntimeException e) {
      artifact.close();
      throw e;
    }
  }

  private static float[] rawScores(ModelSpec spec, ModelArtifact artifact, FeatureMatrix rows) {
    ModelArtifact probe = new ModelArtifact(spec, artifact.model()); // shares the model: not closed
    try (Scorer s = new Scorer(probe)) {
      return s.scores(rows);
    }
  }

  private static double positiveSpread(double[] sorted) {
    double s = quantile(sorted, 0.99) - quantile(sorted, 0.5);
    return s > 1e-9 ? s : Math.max(1e-9, Math.abs(quantile(sorted, 0.5)) * 1e-3 + 1e-9);
  }

  private List<Double> fitNetwork(Model model, float[] z, int rows, int cols, EpochListener listener) {
    DefaultTrainingConfig tc = new DefaultTrainingConfig(Loss.l2Loss())
        .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed((float) config.learningRate()))
            .build());
    List<Double> losses = new ArrayList<>();
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) {
      order[i] = i;
    }
    Random random = new Random(config.seed());
    int bs = Math.min(config.batchSize(), rows);
    float[] batch = new float[bs * cols];
    try (Trainer trainer = model.newTrainer(tc)) {
      for (int epoch = 1; epoch <= config.epochs(); epoch++) {
        shuffle(order, random);
        double sum = 0;
        int seen = 0;
        for (int from = 0; from < rows; from += bs) {
          int n = Math.min(bs, rows - from);
          for (int k = 0; k < n; k++) {
            System.arraycopy(z, order[from + k] * cols, batch, k * cols, cols);
          }
          try (NDManager m = trainer.getManager().newSubManager()) {
            NDArray x = m.create(FloatBuffer.wrap(batch, 0, n * cols), new Shape(n, cols));
            try (GradientCollector gc = trainer.newGradientCollector()) {
              NDArray out = trainer.forward(new NDList(x)).singletonOrThrow();
              NDArray loss = out.sub(x).square().mean();
              gc.backward(loss);
              sum += loss.getFloat() * n;
              seen += n;
            }
            trainer.step();
          }
        }
        double mean = sum / seen;
        losses.add(mean);
        listener.onEpoch(epoch, config.epochs(), mean);
      }
    }
    return losses;
  }

  /** Root-mean-square residual per feature on the fit rows, floored at {@code errorFloor}. */
  private double[] errorScales(Model model, float[] z, int rows, int cols) {
    double[] sq = new double[cols];
    int chunk = 4096;
    try (NDManager m = model.getNDManager().newSubManager()) {
      for (int from = 0; from < rows; from += chunk) {
        int n = Math.min(chunk, rows - from);
        try (NDManager c = m.newSubManager()) {
          NDArray x = c.create(FloatBuffer.wrap(z, from * cols, n * cols), new Shape(n, cols));
          NDArray out = model.getBlock().forward(new ai.djl.training.ParameterStore(c, false),
              new NDList(x), false).singletonOrThrow();
          float[] r = out.sub(x).square().sum(new int[] {0}).toFloatArray();
          for (int j = 0; j < cols; j++) {
            sq[j] += r[j];
          }
        }
      }
    }
    double[] e = new double[cols];
    for (int j = 0; j < cols; j++) {
      e[j] = Math.max(config.errorFloor(), Math.sqrt(sq[j] / rows));
    }
    return e;
  }

  /**
   * Mean and a floored standard deviation per column. The floor keeps near-constant columns from
   * exploding: {@code max(std, 1e-3 * max(|mean|, range), 1e-6)}.
   */
  static void standardisation(FeatureMatrix m, double[] center, double[] scale) {
    int cols = m.cols();
    double[] min = new double[cols];
    double[] max = new double[cols];
    Arrays.fill(min, Double.POSITIVE_INFINITY);
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
    double[] sum = new double[cols];
    for (int r = 0; r < m.rows(); r++) {
      for (int c = 0; c < cols; c++) {
        double v = m.values()[r * cols + c];
        sum[c] += v;
        min[c] = Math.min(min[c], v);
        max[c] = Math.max(max[c], v);
      }
    }
    double[] ss = new double[cols];
    for (int c = 0; c < cols; c++) {
      center[c] = sum[c] / m.rows();
    }
    for (int r = 0; r < m.rows(); r++) {
      for (int c = 0; c < cols; c++) {
        double d = m.values()[r * cols + c] - center[c];
        ss[c] += d * d;
      }
    }
    for (int c = 0; c < cols; c++) {
      double std = Math.sqrt(ss[c] / m.rows());
      double floor = Math.max(1e-3 * Math.max(Math.abs(center[c]), max[c] - min[c]), 1e-6);
      scale[c] = Math.max(std, floor);
    }
  }

  static float[] standardise(FeatureMatrix m, double[] center, double[] scale, double clip) {
    int cols = m.cols();
    float[] z = new float[m.values().length];
    for (int r = 0; r < m.rows(); r++) {
      for (int c = 0; c < cols; c++) {
        double v = (m.values()[r * cols + c] - center[c]) / scale[c];
        if (clip > 0) {
          v = Math.max(-clip, Math.min(clip, v));
        }
        z[r * cols + c] = (float) v;
      }
    }
    return z;
  }

  private static void shuffle(int[] a, Random r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  private static List<Double> boxed(double[] a) {
    List<Double> l = new ArrayList<>(a.length);
    for (double d : a) {
      l.add(d);
    }
    return l;
  }

  static double[] toSortedDoubles(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    Arrays.sort(d);
    return d;
  }

  /** Linear-interpolated quantile of sorted values. */
  public static double quantile(double[] sorted, double q) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("quantile of nothing");
    }
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
}
