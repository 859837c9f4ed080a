package io.vigil.model;

import static java.util.Objects.requireNonNull;

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
 */
public record ModelSpec(int formatVersion, Architecture architecture, Inputs inputs,
    List<String> outputs, ScoreScale scale, long seed) {

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
  }

  /** A spec of the current format with the outputs its kind produces. */
  public static ModelSpec of(Architecture architecture, Inputs inputs, ScoreScale scale, long seed) {
    return new ModelSpec(FORMAT_VERSION, architecture, inputs,
        defaultOutputs(architecture.kind()), scale, seed);
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
