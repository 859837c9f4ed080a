package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import io.vigil.drift.stats.DriftMonitor;
import io.vigil.drift.stats.DriftPolicy;
import io.vigil.drift.stats.DriftStatistics;
import io.vigil.drift.stats.MonitorState;
import io.vigil.drift.stats.PerformanceEstimate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Turns one window's {@link WindowAccumulator} into its drift assessment: per-feature distances
 * against the cached reference histograms, drift decisions, the drifted share, the score's drift,
 * the online detector's decision (which updates {@link MonitorState}) and the CBPE estimate. Plain
 * Java: the Flink window function and the benchmark call it. Each reference is prepared once
 * ({@link DriftStatistics.Prepared}: its shares, their logarithms, positions and empty-cell terms)
 * and the live side is computed in one pass per feature, so a window allocates little beyond its
 * results. Not thread-safe.
 */
public final class WindowEvaluator {

  private final DriftPolicy policy;
  private final DriftMonitor monitor;
  /** Prepared reference histograms by model (identity: ReferenceModel keeps Object's equals). */
  private final Map<ReferenceModel, DriftStatistics.Prepared[]> prepared = new WeakHashMap<>();

  public WindowEvaluator(DriftPolicy policy) {
    this.policy = requireNonNull(policy, "policy");
    this.monitor = new DriftMonitor(policy);
  }

  /** One feature's result. */
  public record FeatureResult(String feature, String metric, DriftStatistics.Distances distances,
      boolean drifted) {}

  /** The whole window. */
  public record Assessment(long samples, List<FeatureResult> features, double driftedShare,
      FeatureResult score, DriftMonitor.Decision decision, PerformanceEstimate estimate) {

    /** Names of the drifted features. */
    public List<String> driftedFeatures() {
      return features.stream().filter(FeatureResult::drifted).map(FeatureResult::feature).toList();
    }
  }

  public Assessment assess(ReferenceModel ref, WindowAccumulator w, MonitorState state) {
    int f = ref.featureCount();
    DriftStatistics.Prepared[] refs = prepared.computeIfAbsent(ref, this::prepare);
    List<FeatureResult> results = new ArrayList<>(f);
    double[] psi = new double[f];
    boolean[] drifted = new boolean[f];
    for (int i = 0; i < f; i++) {
      FeatureResult r = result(ref, refs[i], w, i, ref.features().get(i), ref.metrics().get(i));
      results.add(r);
      psi[i] = r.distances().psi();
      drifted[i] = r.drifted();
    }
    FeatureResult score = result(ref, refs[f], w, f, "score", "score");
    DriftMonitor.Decision d = monitor.assess(state, psi, drifted, ref.features(), ref::metricOfFeature);
    return new Assessment(w.samples, results, DriftMonitor.share(drifted), score, d,
        w.expected.estimate());
  }

  private DriftStatistics.Prepared[] prepare(ReferenceModel ref) {
    DriftStatistics.Prepared[] r = new DriftStatistics.Prepared[ref.featureCount() + 1];
    for (int i = 0; i < r.length; i++) {
      r[i] = new DriftStatistics.Prepared(ref.reference(i), policy.epsilon());
    }
    return r;
  }

  private FeatureResult result(ReferenceModel ref, DriftStatistics.Prepared reference, WindowAccumulator w, int i,
      String name, String metric) {
    DriftStatistics.Distances d = reference.compare(w.counts, ref.offset(i), w.below[i], w.above[i], ref.scale(i));
    return new FeatureResult(name, metric, d, policy.drifted(d));
  }
}
