package io.vigil.model;

import static java.util.Objects.requireNonNull;

/**
 * A batch of feature rows, row-major in one array: row {@code r}, column {@code c} is {@code
 * values[r * cols + c]}. Scored as one {@code (rows, cols)} tensor.
 */
public record FeatureBatch(float[] values, int rows, int cols) {
  public FeatureBatch {
    requireNonNull(values, "values");
    if (rows < 1 || cols < 1 || (long) rows * cols != values.length) {
      throw new IllegalArgumentException("a batch of " + rows + " x " + cols + " needs "
          + ((long) rows * cols) + " values, got " + values.length);
    }
  }
}
