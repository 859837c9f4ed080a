package io.vigil.drift;

/**
 * Feature values as the drift job carries them: {@code float}s. Training builds the reference
 * profiles (their bin edges) from {@code float} feature matrices, so a live value narrowed to a
 * float falls into the cell its training twin would; and the join's input, state and checkpoints
 * carry half the bytes of {@code double}s. NaN and infinities stay what they are (the decoder refuses
 * them); finite values beyond the float range are clamped to it instead of becoming infinite — they
 * land in the outermost cell either way.
 */
final class FeatureValues {

  private FeatureValues() {}

  static float narrow(double v) {
    if (v > Float.MAX_VALUE && v != Double.POSITIVE_INFINITY) {
      return Float.MAX_VALUE;
    }
    if (v < -Float.MAX_VALUE && v != Double.NEGATIVE_INFINITY) {
      return -Float.MAX_VALUE;
    }
    return (float) v;
  }

  static float[] narrow(double[] v) {
    return narrow(v, v.length);
  }

  /** The first {@code n} of {@code v}, narrowed. */
  static float[] narrow(double[] v, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = narrow(v[i]);
    }
    return f;
  }
}
