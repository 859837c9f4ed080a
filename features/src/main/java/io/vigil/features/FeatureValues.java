package io.vigil.features;

import static java.util.Objects.requireNonNull;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * The values of one feature vector as the {@code List<Double>} Avro's {@link
 * io.vigil.schemas.FeatureVector} wants, without boxing: a fixed-size view over the engine's
 * {@code double[]} (like {@link java.util.Arrays#asList}). Building a vector costs no allocation
 * per feature, and a writer that knows this type reads the primitive array directly ({@link
 * #primitive}); anyone else sees an ordinary list. {@code add} and {@code remove} are unsupported.
 */
public final class FeatureValues extends AbstractList<Double> implements RandomAccess {

  private final double[] values;

  /** A view over {@code values}, not a copy: the array must not change afterwards. */
  public FeatureValues(double[] values) {
    this.values = requireNonNull(values, "values");
  }

  /**
   * The values of {@code list} as a primitive array: the backing array itself when it is a {@code
   * FeatureValues} (do not modify it), otherwise a copy.
   */
  public static double[] primitive(java.util.List<Double> list) {
    if (list instanceof FeatureValues f) {
      return f.values;
    }
    double[] out = new double[list.size()];
    int i = 0;
    for (Double d : list) {
      out[i++] = d;
    }
    return out;
  }

  @Override
  public Double get(int index) {
    return values[index];
  }

  @Override
  public Double set(int index, Double value) {
    double old = values[index];
    values[index] = value;
    return old;
  }

  @Override
  public int size() {
    return values.length;
  }
}
