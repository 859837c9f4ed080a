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
 */
public record ModelSpec(int formatVersion, Architecture architecture, Inputs inputs,
    List<String> outputs, ScoreScale scale, long seed,
    @JsonInclude(JsonInclude.Include.NON_NULL) Normalization normalization) {

  /** The format this code writes and reads. */
  public static final int FORMAT_VERSION = 1;

  public static final String OUTPUT_SCORE = "score";
  public static final String OUTPUT_UNCERTAINTY = "uncertainty";
  public static final String OUTPUT_ATTRIBUTIONS = "attributions";

  public ModelSpec {
    if (formatVersion != FORMAT_VERSION) {
      throw new ModelFormatException("model format version " + formatVersion
          + " is not supported (this code reads version " + FORMAT_VERSION + ")");
    }
    requireNonNull(architecture, "architecture");
    requireNonNull(inputs, "inputs");
    requireNonNull(scale, "scale");
    outputs = List.copyOf(requireNonNull(outputs, "outputs"));
    List<String> expected = defaultOutputs(architecture.kind());
    if (!outputs.equals(expected)) {
      throw new ModelFormatException("a " + architecture.kind() + " model has outputs " + expected
          + ", not " + outputs);
    }
    if (normalization != null && normalization.size() != inputs.featureNames().size()) {
      throw new ModelFormatException("normalization has " + normalization.size()
          + " entries per list, the model has " + inputs.featureNames().size() + " inputs");
    }
  }

  /** A spec without normalization (the original six-field form). */
  public ModelSpec(int formatVersion, Architecture architecture, Inputs inputs,
      List<String> outputs, ScoreScale scale, long seed) {
    this(formatVersion, architecture, inputs, outputs, scale, seed, null);
  }

  /** This spec with another score scale (e.g. once the reference scores are known). */
  public ModelSpec withScale(ScoreScale newScale) {
    return new ModelSpec(formatVersion, architecture, inputs, outputs, newScale, seed, normalization);
  }

  /** This spec with a normalization. */
  public ModelSpec withNormalization(Normalization newNormalization) {
    return new ModelSpec(formatVersion, architecture, inputs, outputs, scale, seed, newNormalization);
  }

  /** A spec of the current format with the outputs its kind produces. */
  public static ModelSpec of(Architecture architecture, Inputs inputs, ScoreScale scale, long seed) {
    return new ModelSpec(FORMAT_VERSION, architecture, inputs,
        defaultOutputs(architecture.kind()), scale, seed, null);
  }

  /** The number of input features (the width of the input tensor). */
  public int inputSize() {
    return inputs.featureNames().size();
  }

  /** True when the model gives per-feature attributions. */
  public boolean hasAttributions() {
    return outputs.contains(OUTPUT_ATTRIBUTIONS);
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
   * recCenter) / recSpread + w * (maxZ - zCenter) / zSpread}, where {@code rec} is the mean
   * normalised squared error and {@code maxZ} the largest absolute standardised input of the row;
   * both are put on a comparable scale first (e.g. median and p99 - median on reference data).
   */
  public record ScoreMix(double maxZWeight, double reconstructionCenter, double reconstructionSpread,
      double maxZCenter, double maxZSpread) {
    public ScoreMix {
      if (!(maxZWeight >= 0 && maxZWeight <= 1)) {
        throw new ModelFormatException("score mix maxZWeight must be in [0, 1], not " + maxZWeight);
      }
      if (!Double.isFinite(reconstructionCenter) || !Double.isFinite(maxZCenter)
          || !(reconstructionSpread > 0) || !(maxZSpread > 0)
          || !Double.isFinite(reconstructionSpread) || !Double.isFinite(maxZSpread)) {
        throw new ModelFormatException("score mix centers must be finite and spreads positive");
      }
    }
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
}
