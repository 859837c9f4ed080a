package io.vigil.labeling.store;

import io.vigil.schemas.ContextPoint;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.Prediction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What the annotator screen shows for one task: why it is asked, the model's view, the metrics it
 * blames (largest share first), and the raw series with the window marked.
 */
public record TaskView(
    String sampleId, String requestId, String entity, String reason, double priority,
    String incidentId, long windowStart, long windowEnd, Model model,
    List<Attribution> attributions, Series series, long leaseExpiresAt, int requiredLabels,
    int doneCount) {

  /** The prediction that led here, if any. */
  public record Model(String name, String version, double score, double uncertainty,
      double threshold, boolean anomaly) {}

  public record Attribution(String metric, double share) {}

  /** Parallel arrays: times, and per metric its values (null where missing), in-window flags. */
  public record Series(List<Long> times, Map<String, List<Double>> metrics, List<Boolean> inWindow) {}

  static TaskView of(LabelRequest r, long leaseExpiresAt, int required, int done) {
    Prediction p = r.getPrediction();
    Model model = p == null ? null : new Model(p.getModelName().toString(),
        p.getModelVersion().toString(), p.getScore(), p.getUncertainty(), p.getThreshold(),
        p.getAnomaly());
    List<Attribution> attributions = new ArrayList<>();
    if (p != null) {
      p.getAttributions().forEach((k, v) -> attributions.add(new Attribution(k.toString(), v)));
      attributions.sort(Comparator.comparingDouble(Attribution::share).reversed()
          .thenComparing(Attribution::metric));
    }
    TreeSet<String> names = new TreeSet<>();
    for (ContextPoint cp : r.getContext()) {
      cp.getMetrics().keySet().forEach(k -> names.add(k.toString()));
    }
    // blamed metrics first, then the rest by name
    List<String> order = new ArrayList<>();
    for (Attribution a : attributions) {
      if (names.contains(a.metric())) {
        order.add(a.metric());
      }
    }
    for (String n : names) {
      if (!order.contains(n)) {
        order.add(n);
      }
    }
    List<Long> times = new ArrayList<>();
    List<Boolean> inWindow = new ArrayList<>();
    Map<String, List<Double>> metrics = new LinkedHashMap<>();
    order.forEach(n -> metrics.put(n, new ArrayList<>()));
    for (ContextPoint cp : r.getContext()) {
      times.add(cp.getTime().toEpochMilli());
      inWindow.add(cp.getInWindow());
      Map<String, Double> m = new LinkedHashMap<>();
      cp.getMetrics().forEach((k, v) -> m.put(k.toString(), v));
      for (String n : order) {
        Double v = m.get(n);
        metrics.get(n).add(v == null || !Double.isFinite(v) ? null : v);
      }
    }
    return new TaskView(r.getSampleId().toString(), r.getRequestId().toString(),
        r.getEntity().toString(), r.getReason().name(), r.getPriority(),
        r.getIncidentId() == null ? null : r.getIncidentId().toString(),
        r.getWindowStart().toEpochMilli(), r.getWindowEnd().toEpochMilli(), model, attributions,
        new Series(times, metrics, inWindow), leaseExpiresAt, required, done);
  }
}
