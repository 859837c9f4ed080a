package io.vigil.model;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code model.json} says about a model: enough to rebuild its block, feed it, and read its
 * answers. Immutable and validated on construction.
 *
 * @param formatVersion {@link #FORMAT_VERSION}; readers refuse versions they do not know
 * @param architecture the block's kind and layer sizes ({@link Blocks#build})
 * @param inputs the feature names, in column order, and the feature set they come from
 * @param outputs names of the output tensors, in order ({@link #OUTPUT_SCORE}, ...)
 * @param scale how raw scores are put on the common scale, and the operating threshold
 * @param seed the seed the initial weights were drawn with (lineage)
 * @param normalization optional (null = none, as in specs written before it existed): input
 *     standardisation and per-feature error scales, applied by the {@link ScoringTranslator}
 * @param head optional (null = none, as in specs written before it existed): the supervised head
 *     that turns the score and a summary of the errors into a calibrated probability; a model with a
 *     head has the extra output {@link #OUTPUT_PROBABILITY}
 */
public record ModelSpec(int formatVersion, Architecture architecture, Inputs inputs,
    List<String> outputs, ScoreScale scale, long seed,
    @JsonInclude(JsonInclude.Include.NON_NULL) Normalization normalization,
    @JsonInclude(JsonInclude.Include.NON_NULL) Head head) {

  /** The format this code writes and reads. */
  public static final int FORMAT_VERSION = 1;

  public static final String OUTPUT_SCORE = "score";
  public static final String OUTPUT_UNCERTAINTY = "uncertainty";
  public static final String OUTPUT_ATTRIBUTIONS = "attributions";
  /** Only for models with a {@link Head}: the calibrated probability that the row is an anomaly. */
  public static final String OUTPUT_PROBABILITY = "probability";

  public ModelSpec {
    if (formatVersion != FORMAT_VERSION) {
      throw new ModelFormatException("model format version " + formatVersion
          + " is not supported (this code reads version " + FORMAT_VERSION + ")");
    }
    requireNonNull(architecture, "architecture");
    requireNonNull(inputs, "inputs");
    requireNonNull(scale, "scale");
    outputs = List.copyOf(requireNonNull(outputs, "outputs"));
    List<String> expected = outputsOf(architecture.kind(), head != null);
    if (!outputs.equals(expected)) {
      throw new ModelFormatException("a " + architecture.kind() + " model has outputs " + expected
          + ", not " + outputs);
    }
    if (normalization != null && normalization.size() != inputs.featureNames().size()) {
      throw new ModelFormatException("normalization has " + normalization.size()
          + " entries per list, the model has " + inputs.featureNames().size() + " inputs");
    }
    if (head != null) {
      if (head.topErrors() > 0 && architecture.kind() != Kind.AUTOENCODER) {
        throw new ModelFormatException("a head over top errors needs an AUTOENCODER (attributions)");
      }
      if (head.topErrors() > inputs.featureNames().size()) {
        throw new ModelFormatException("head.topErrors " + head.topErrors() + " exceeds the "
            + inputs.featureNames().size() + " input features");
      }
    }
  }

  /** A spec without a head (the seven-field form). */
  public ModelSpec(int formatVersion, Architecture architecture, Inputs inputs,
      List<String> outputs, ScoreScale scale, long seed, Normalization normalization) {
    this(formatVersion, architecture, inputs, outputs, scale, seed, normalization, null);
  }

  /** A spec without normalization and head (the original six-field form). */
  public ModelSpec(int formatVersion, Architecture architecture, Inputs inputs,
      List<String> outputs, ScoreScale scale, long seed) {
    this(formatVersion, architecture, inputs, outputs, scale, seed, null, null);
  }

  /** This spec with another score scale (e.g. once the reference scores are known). */
  public ModelSpec withScale(ScoreScale newScale) {
    return new ModelSpec(formatVersion, architecture, inputs, outputs, newScale, seed, normalization, head);
  }

  /** This spec with a normalization. */
  public ModelSpec withNormalization(Normalization newNormalization) {
    return new ModelSpec(formatVersion, architecture, inputs, outputs, scale, seed, newNormalization, head);
  }

  /** This spec with a supervised head (null removes it); the outputs follow. */
  public ModelSpec withHead(Head newHead) {
    return new ModelSpec(formatVersion, architecture, inputs, outputsOf(architecture.kind(), newHead != null),
        scale, seed, normalization, newHead);
  }

  /** A spec of the current format with the outputs its kind produces. */
  public static ModelSpec of(Architecture architecture, Inputs inputs, ScoreScale scale, long seed) {
    return new ModelSpec(FORMAT_VERSION, architecture, inputs,
        defaultOutputs(architecture.kind()), scale, seed, null, null);
  }

  /** True when the model gives a calibrated probability ({@link #OUTPUT_PROBABILITY}). */
  public boolean hasHead() {
    return head != null;
  }

  /** The number of input features (the width of the input tensor). */
  public int inputSize() {
    return inputs.featureNames().size();
  }

  /** True when the model gives per-feature attributions. */
  public boolean hasAttributions() {
    return outputs.contains(OUTPUT_ATTRIBUTIONS);
  }

  static List<String> outputsOf(Kind kind, boolean withHead) {
    List<String> base = defaultOutputs(kind);
    if (!withHead) {
      return base;
    }
    List<String> out = new java.util.ArrayList<>(base);
    out.add(OUTPUT_PROBABILITY);
    return List.copyOf(out);
  }

  static List<String> defaultOutputs(Kind kind) {
    return switch (kind) {
      case AUTOENCODER -> List.of(OUTPUT_SCORE, OUTPUT_UNCERTAINTY, OUTPUT_ATTRIBUTIONS);
      case MLP -> List.of(OUTPUT_SCORE, OUTPUT_UNCERTAINTY);
    };
  }

  /** The block family. */
  public enum Kind {
    /**
     * Reconstructs its input through a bottleneck; raw score = mean squared reconstruction error;
     * attribution of a feature = its share of the squared error. Needs no labels.
     */
    AUTOENCODER,
    /** A feed-forward network with one output unit; raw score = that unit. */
    MLP
  }

  /**
   * @param kind the block family
   * @param hiddenSizes widths of the hidden layers, in order (each followed by ReLU)
   */
  public record Architecture(Kind kind, List<Integer> hiddenSizes) {
    public Architecture {
      requireNonNull(kind, "kind");
      hiddenSizes = List.copyOf(requireNonNull(hiddenSizes, "hiddenSizes"));
      if (hiddenSizes.isEmpty()) {
        throw new ModelFormatException("architecture needs at least one hidden layer");
      }
      for (Integer h : hiddenSizes) {
        if (h == null || h < 1 || h > 65_536) {
          throw new ModelFormatException("hidden layer sizes must be in 1..65536, not " + h);
        }
      }
    }
  }

  /**
   * @param featureNames the input columns, in order (a feature set's {@code featureNames()})
   * @param featureSetId id of the feature set
   * @param featureSetVersion fingerprint of the feature set ({@code FeatureSet.version()})
   */
  public record Inputs(List<String> featureNames, String featureSetId, String featureSetVersion) {
    public Inputs {
      featureNames = List.copyOf(requireNonNull(featureNames, "featureNames"));
      requireNonNull(featureSetId, "featureSetId");
      requireNonNull(featureSetVersion, "featureSetVersion");
      if (featureNames.isEmpty()) {
        throw new ModelFormatException("a model needs at least one input feature");
      }
      Set<String> seen = new HashSet<>();
      for (String f : featureNames) {
        if (f == null || f.isBlank() || !seen.add(f)) {
          throw new ModelFormatException("blank or repeated input feature name '" + f + "'");
        }
      }
    }
  }

  /**
   * Standardisation stored with the model so that scoring applies exactly what training did: the
   * network sees {@code z = clamp((x - center) / scale, -clip, clip)} (no clamp when {@code clip}
   * is 0); an AUTOENCODER's residual of feature {@code j} is divided by {@code errorScale[j]} (that
   * feature's typical reconstruction error on training data) before squaring, so the raw score is
   * the mean normalised squared error and attributions are shares of it.
   */
  public record Normalization(List<Double> center, List<Double> scale, List<Double> errorScale,
      double clip, @JsonInclude(JsonInclude.Include.NON_NULL) ScoreMix mix) {

    /** Without a score mix. */
    public Normalization(List<Double> center, List<Double> scale, List<Double> errorScale, double clip) {
      this(center, scale, errorScale, clip, null);
    }

    public Normalization withMix(ScoreMix newMix) {
      return new Normalization(center, scale, errorScale, clip, newMix);
    }

    public Normalization {
      center = List.copyOf(requireNonNull(center, "center"));
      scale = List.copyOf(requireNonNull(scale, "scale"));
      errorScale = List.copyOf(requireNonNull(errorScale, "errorScale"));
      if (center.size() != scale.size() || center.size() != errorScale.size()) {
        throw new ModelFormatException("normalization lists differ in length");
      }
      for (int i = 0; i < center.size(); i++) {
        if (!Double.isFinite(center.get(i)) || !(scale.get(i) > 0) || !Double.isFinite(scale.get(i))
            || !(errorScale.get(i) > 0) || !Double.isFinite(errorScale.get(i))) {
          throw new ModelFormatException("normalization entry " + i
              + " needs a finite center and finite positive scales");
        }
      }
      if (!(clip >= 0) || !Double.isFinite(clip)) {
        throw new ModelFormatException("normalization clip must be finite and >= 0, not " + clip);
      }
    }

    public int size() {
      return center.size();
    }
  }

  /**
   * Optional for an AUTOENCODER with normalization: the raw score becomes {@code (1 - w) * (rec -
   * recCenter) / recSpread + w * (d - zCenter) / zSpread}, where {@code rec} is the mean normalised
   * squared error and {@code d} the row's deviation from the training rows, by {@code component}:
   * {@link MixComponent#MAX_ABS_Z} (the default, as in specs written before the field existed) the
   * largest absolute standardised input (clamped at the normalization's clip), {@link
   * MixComponent#MEAN_SQUARED_Z} the mean squared standardised input, clamped at {@code zClip}
   * (null = the normalization's clip). Both parts are put on a comparable scale first (e.g. median
   * and p99 - median on reference data). With {@code MEAN_SQUARED_Z} the attributions are each
   * feature's share of the mixed score (its weighted normalised squared error plus its weighted
   * squared standardised input); with {@code MAX_ABS_Z} they stay shares of the reconstruction error.
   *
   * @param maxZWeight the weight {@code w} of the deviation part (named after the first component)
   * @param maxZCenter center of the deviation part
   * @param maxZSpread spread of the deviation part
   * @param component optional (null = {@code MAX_ABS_Z})
   * @param zClip optional, {@code MEAN_SQUARED_Z} only: clamp of the standardised inputs (null =
   *     the normalization's clip, 0 = none)
   */
  public record ScoreMix(double maxZWeight, double reconstructionCenter, double reconstructionSpread,
      double maxZCenter, double maxZSpread,
      @JsonInclude(JsonInclude.Include.NON_NULL) MixComponent component,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double zClip) {
    public ScoreMix {
      if (!(maxZWeight >= 0 && maxZWeight <= 1)) {
        throw new ModelFormatException("score mix maxZWeight must be in [0, 1], not " + maxZWeight);
      }
      if (!Double.isFinite(reconstructionCenter) || !Double.isFinite(maxZCenter)
          || !(reconstructionSpread > 0) || !(maxZSpread > 0)
          || !Double.isFinite(reconstructionSpread) || !Double.isFinite(maxZSpread)) {
        throw new ModelFormatException("score mix centers must be finite and spreads positive");
      }
      if (zClip != null && (!(zClip >= 0) || !Double.isFinite(zClip))) {
        throw new ModelFormatException("score mix zClip must be finite and >= 0, not " + zClip);
      }
      if (zClip != null && component != MixComponent.MEAN_SQUARED_Z) {
        throw new ModelFormatException("score mix zClip applies to MEAN_SQUARED_Z only");
      }
    }

    /** The largest absolute standardised input (the original five-field form). */
    public ScoreMix(double maxZWeight, double reconstructionCenter, double reconstructionSpread,
        double maxZCenter, double maxZSpread) {
      this(maxZWeight, reconstructionCenter, reconstructionSpread, maxZCenter, maxZSpread, null, null);
    }

    /** The deviation part, {@code MAX_ABS_Z} when not set. */
    public MixComponent deviation() {
      return component == null ? MixComponent.MAX_ABS_Z : component;
    }
  }

  /** What a {@link ScoreMix} adds to the reconstruction error. */
  public enum MixComponent {
    /** The row's largest absolute standardised (clamped) input. */
    MAX_ABS_Z,
    /** The row's mean squared standardised input, clamped at the mix's {@code zClip}. */
    MEAN_SQUARED_Z
  }

  /**
   * The common score scale: {@code score = (raw - center) / spread}, so that a retrained version
   * keeps the operating threshold where it was (e.g. center = median, spread = p99 - median of the
   * raw scores on reference data).
   *
   * @param threshold operating threshold on the scaled score: {@code anomaly = score >= threshold}
   */
  public record ScoreScale(double center, double spread, double threshold) {
    public ScoreScale {
      if (!Double.isFinite(center) || !Double.isFinite(threshold)) {
        throw new ModelFormatException("score scale center and threshold must be finite");
      }
      if (!(spread > 0) || !Double.isFinite(spread)) {
        throw new ModelFormatException("score scale spread must be positive, not " + spread);
      }
    }

    public static ScoreScale identity(double threshold) {
      return new ScoreScale(0, 1, threshold);
    }

    public double scale(double raw) {
      return (raw - center) / spread;
    }

    /**
     * Margin-based uncertainty in (0, 1]: 1 on the threshold, falling as {@code exp(-|score -
     * threshold|)} away from it. A stand-in until a calibrated head exists.
     */
    public double uncertainty(double score) {
      return Math.exp(-Math.abs(score - threshold));
    }
  }

  /**
   * The supervised head (optional): a logistic model over the row's score and a compact summary of
   * its reconstruction errors, calibrated on labelled rows it was not fitted on.
   *
   * <p>Its inputs for a row are {@code f = [asinh(score), s_1, ..., s_k]}, where {@code score} is the
   * scaled score and {@code s_1 >= ... >= s_k} are the row's {@code k = topErrors} largest
   * attributions (shares of the normalised squared error, 0 for an MLP). Then {@code logit = bias +
   * sum_j weights[j] * (f[j] - center[j]) / scale[j]} and the probability is Platt's {@code
   * sigmoid(calibrationA * logit + calibrationB)}. The uncertainty of a model with a head is the
   * binary entropy of that probability, in bits.
   *
   * @param topErrors how many of the largest attributions are inputs (0 = the score alone)
   * @param center per-input center (the fit rows' mean)
   * @param scale per-input scale (the fit rows' standard deviation, floored)
   * @param weights per-input weight of the logistic model
   * @param bias the logistic model's intercept
   * @param calibrationA Platt slope
   * @param calibrationB Platt intercept
   * @param probabilityThreshold the F1-best probability on the calibration rows (informational:
   *     the operating decision stays {@code score >= scale.threshold})
   */
  public record Head(int topErrors, List<Double> center, List<Double> scale, List<Double> weights,
      double bias, double calibrationA, double calibrationB, double probabilityThreshold) {
    public Head {
      if (topErrors < 0 || topErrors > 64) {
        throw new ModelFormatException("head.topErrors must be in 0..64, not " + topErrors);
      }
      center = List.copyOf(requireNonNull(center, "head.center"));
      scale = List.copyOf(requireNonNull(scale, "head.scale"));
      weights = List.copyOf(requireNonNull(weights, "head.weights"));
      int d = 1 + topErrors;
      if (center.size() != d || scale.size() != d || weights.size() != d) {
        throw new ModelFormatException("head lists need 1 + topErrors = " + d + " entries");
      }
      for (int i = 0; i < d; i++) {
        if (!Double.isFinite(center.get(i)) || !Double.isFinite(weights.get(i))
            || !(scale.get(i) > 0) || !Double.isFinite(scale.get(i))) {
          throw new ModelFormatException("head entry " + i + " needs a finite center and weight and a"
              + " finite positive scale");
        }
      }
      if (!Double.isFinite(bias) || !Double.isFinite(calibrationA) || !Double.isFinite(calibrationB)) {
        throw new ModelFormatException("head bias and calibration must be finite");
      }
      if (!(probabilityThreshold >= 0 && probabilityThreshold <= 1)) {
        throw new ModelFormatException("head.probabilityThreshold must be in [0, 1]");
      }
    }

    /** The number of head inputs, {@code 1 + topErrors}. */
    public int inputCount() {
      return 1 + topErrors;
    }

    /**
     * Writes row {@code row}'s head inputs into {@code out} (length {@link #inputCount()}): {@code
     * asinh(score)} then the {@code topErrors} largest of the row's {@code cols} attributions, in
     * decreasing order. {@code attributions} may be null when {@code topErrors} is 0.
     */
    public void inputs(float score, float[] attributions, int row, int cols, double[] out) {
      out[0] = asinh(score);
      if (topErrors == 0) {
        return;
      }
      java.util.Arrays.fill(out, 1, out.length, Double.NEGATIVE_INFINITY);
      int base = row * cols;
      for (int c = 0; c < cols; c++) {
        double v = attributions[base + c];
        if (v > out[topErrors]) {
          int i = topErrors;
          while (i > 1 && v > out[i - 1]) {
            out[i] = out[i - 1];
            i--;
          }
          out[i] = v;
        }
      }
      for (int i = 1; i < out.length; i++) {
        if (out[i] == Double.NEGATIVE_INFINITY) {
          out[i] = 0;
        }
      }
    }

    /** The uncalibrated logit of head inputs {@code f}. */
    public double logit(double[] f) {
      double z = bias;
      for (int j = 0; j < f.length; j++) {
        z += weights.get(j) * (f[j] - center.get(j)) / scale.get(j);
      }
      return z;
    }

    /** The calibrated probability of head inputs {@code f}. */
    public double probability(double[] f) {
      return sigmoid(calibrationA * logit(f) + calibrationB);
    }

    /** Binary entropy of {@code p} in bits, in (0, 1]: 1 at 0.5, near 0 when the head is sure. */
    public static double entropy(double p) {
      double q = Math.min(1 - 1e-7, Math.max(1e-7, p));
      return -(q * Math.log(q) + (1 - q) * Math.log(1 - q)) / Math.log(2);
    }

    public static double sigmoid(double x) {
      return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    static double asinh(double x) {
      return Math.log(x + Math.sqrt(x * x + 1));
    }
  }
}
