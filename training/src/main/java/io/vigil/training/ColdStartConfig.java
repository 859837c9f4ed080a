package io.vigil.training;

import static java.util.Objects.requireNonNull;

import io.vigil.model.ModelSpec;
import java.util.List;

/**
 * How the cold-start (no labels) autoencoder is trained and calibrated.
 *
 * @param hiddenSizes autoencoder layer widths, input → hidden... → input
 * @param epochs passes over the fit rows
 * @param batchSize rows per optimiser step
 * @param learningRate Adam learning rate
 * @param seed initial weights and batch order
 * @param validationShare last share of the (time-ordered) training rows held out from fitting; the
 *     score scale and threshold come from them
 * @param thresholdQuantile the operating threshold is this quantile of the held-out rows' scores
 * @param clip standardised inputs are clamped to {@code [-clip, clip]} (0 = no clamp)
 * @param errorFloor smallest per-feature typical error (standardised units) a residual is divided by
 * @param maxZWeight weight of the deviation part ({@code mixComponent}) in the score (0 = the
 *     reconstruction error alone); both parts are first scaled by their held-out median and p99
 * @param mixComponent the deviation part: {@code MAX_ABS_Z} (largest absolute standardised input)
 *     or {@code MEAN_SQUARED_Z} (mean squared standardised input); null = {@code MAX_ABS_Z}
 * @param mixClip {@code MEAN_SQUARED_Z} only: standardised inputs are clamped to {@code
 *     [-mixClip, mixClip]} in the deviation part (0 = the same clamp as the network's inputs)
 */
public record ColdStartConfig(List<Integer> hiddenSizes, int epochs, int batchSize,
    double learningRate, long seed, double validationShare, double thresholdQuantile, double clip,
    double errorFloor, double maxZWeight, ModelSpec.MixComponent mixComponent, double mixClip) {

  public ColdStartConfig {
    hiddenSizes = List.copyOf(requireNonNull(hiddenSizes, "model.hiddenSizes must be set"));
    if (hiddenSizes.isEmpty() || hiddenSizes.stream().anyMatch(h -> h == null || h < 1)) {
      throw new IllegalArgumentException("model.hiddenSizes must be positive widths, not " + hiddenSizes);
    }
    if (epochs < 1 || batchSize < 1) {
      throw new IllegalArgumentException("model.epochs and model.batchSize must be >= 1");
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("model.learningRate must be > 0");
    }
    if (!(validationShare > 0 && validationShare < 0.9)) {
      throw new IllegalArgumentException("model.validationShare must be in (0, 0.9)");
    }
    if (!(thresholdQuantile > 0.5 && thresholdQuantile < 1)) {
      throw new IllegalArgumentException("model.thresholdQuantile must be in (0.5, 1)");
    }
    if (!(maxZWeight >= 0 && maxZWeight <= 1)) {
      throw new IllegalArgumentException("model.maxZWeight must be in [0, 1]");
    }
    if (!(mixClip >= 0) || !Double.isFinite(mixClip)) {
      throw new IllegalArgumentException("model.mixClip must be finite and >= 0");
    }
    if (mixComponent == null) {
      mixComponent = ModelSpec.MixComponent.MAX_ABS_Z;
    }
    if (!(clip >= 0) || !(errorFloor > 0)) {
      throw new IllegalArgumentException("model.clip must be >= 0 and model.errorFloor > 0");
    }
  }

  /** With the {@code MAX_ABS_Z} mix (the ten-field form). */
  public ColdStartConfig(List<Integer> hiddenSizes, int epochs, int batchSize, double learningRate,
      long seed, double validationShare, double thresholdQuantile, double clip, double errorFloor,
      double maxZWeight) {
    this(hiddenSizes, epochs, batchSize, learningRate, seed, validationShare, thresholdQuantile, clip,
        errorFloor, maxZWeight, ModelSpec.MixComponent.MAX_ABS_Z, 0);
  }

  /**
   * The defaults (see the module README and ADR 0001): the autoencoder's reconstruction error alone.
   * The {@code MEAN_SQUARED_Z} mix of ADR 0008 is an option, not the default.
   */
  public static ColdStartConfig defaults() {
    return new ColdStartConfig(List.of(64, 16, 64), 10, 128, 1e-3, 42, 0.2, 0.99, 10, 1.0, 0.0,
        ModelSpec.MixComponent.MAX_ABS_Z, 0);
  }

  public ColdStartConfig withSeed(long newSeed) {
    return new ColdStartConfig(hiddenSizes, epochs, batchSize, learningRate, newSeed, validationShare,
        thresholdQuantile, clip, errorFloor, maxZWeight, mixComponent, mixClip);
  }
}
