package io.vigil.training;

import io.vigil.datasets.DatasetFormat;
import io.vigil.features.FeatureSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;

/** Which feature set a dataset's entities are trained and evaluated with. */
public final class FeatureSets {

  private FeatureSets() {}

  /**
   * The bundled SMD set when the entity has exactly the SMD metrics; otherwise the library's
   * standard set over the entity's metrics (id {@code <format>-standard}).
   */
  public static FeatureSet forMetrics(DatasetFormat format, List<String> metricNames) {
    FeatureSet smd = FeatureSet.smdDefault();
    if (new HashSet<>(metricNames).equals(new HashSet<>(smd.metrics()))) {
      return smd;
    }
    return FeatureSet.standard(format.name().toLowerCase(Locale.ROOT) + "-standard", metricNames);
  }
}
