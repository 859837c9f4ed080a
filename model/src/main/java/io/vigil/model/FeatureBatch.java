package io.vigil.model;

import static java.util.Objects.requireNonNull;

/**
 * A batch of feature rows, row-major in one array: row {@code r}, column {@code c} is {@code
 * values[r * cols + c]}. Scored as one {@code (rows, cols)} tensor.
 *
 * @param attributions whether the scores must come with per-feature attributions (autoencoders):
 *     a caller that needs only scores (and uncertainty, probability) saves computing and copying
 *     a {@code rows x cols} matrix. The scores are the same either way. Models with a supervised
 *     head compute them regardless (the head reads them).
 */
public record FeatureBatch(float[] values, int rows, int cols, boolean attributions) {
  public FeatureBatch {
    requireNonNull(values, "values");
    if (rows < 1 || cols < 1 || (long) rows * cols != values.length) {
      throw new IllegalArgumentException("a batch of " + rows + " x " + cols + " needs "
          + ((long) rows * cols) + " values, got " + values.length);
    }
  }

  /** A batch scored with attributions. */
  public FeatureBatch(float[] values, int rows, int cols) {
    this(values, rows, cols, true);
  }
}
