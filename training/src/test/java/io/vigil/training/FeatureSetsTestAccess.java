package io.vigil.training;

import io.vigil.features.FeatureSet;

final class FeatureSetsTestAccess {
  private FeatureSetsTestAccess() {}

  static FeatureSet smd() {
    return FeatureSet.smdDefault();
  }
}
