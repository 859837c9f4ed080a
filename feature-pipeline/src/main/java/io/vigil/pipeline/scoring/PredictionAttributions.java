package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

import io.vigil.features.FeatureSet;
import io.vigil.features.MetricAttributions;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The per-raw-metric attributions a {@code Prediction} carries: the answer's per-feature shares
 * folded by the shared {@link MetricAttributions} (the same fold {@code vigil eval} measures
 * HitRate@P% on), every metric with a positive share, largest first, at most {@link
 * MetricAttributions#PREDICTION_MAX}. The
 * columns are named by the vector's own names when it carries them, else by the job's feature set
 * when the vector is of that set; otherwise there are none (rather than wrong ones).
 */
final class PredictionAttributions implements Serializable {

  private static final long serialVersionUID = 1L;

  private final String setVersion;
  private final MetricAttributions ofSet;
  private transient String[] lastNames;
  private transient MetricAttributions ofLastNames;

  PredictionAttributions(FeatureSet set) {
    requireNonNull(set, "set");
    this.setVersion = set.version();
    this.ofSet = MetricAttributions.of(set);
  }

  /** The metrics' shares for one row, largest first, or an empty map when the columns cannot be named. */
  Map<String, Double> of(ScoringInput in, float[] attributions) {
    if (attributions == null) {
      return Map.of();
    }
    MetricAttributions fold;
    if (in.names != null && in.names.length == attributions.length) {
      if (!Arrays.equals(in.names, lastNames)) {
        lastNames = in.names.clone();
        ofLastNames = MetricAttributions.fromNames(List.of(in.names));
      }
      fold = ofLastNames;
    } else if (setVersion.equals(in.featureSetVersion) && ofSet.features() == attributions.length) {
      fold = ofSet;
    } else {
      return Map.of();
    }
    return fold.top(fold.perMetric(attributions, 0, attributions.length), MetricAttributions.PREDICTION_MAX);
  }
}
