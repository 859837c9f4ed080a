package io.vigil.drift.stats;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The online drift detector of one model version, window after window.
 *
 * <p>On real telemetry many features sit above a fixed PSI rule of thumb in every window (a short
 * window of an autocorrelated series never looks like a month of training data), so an absolute
 * share of drifted features says little. The detector therefore watches a change against the
 * version's own first {@code warmupWindows} windows: their mean and standard deviation standardise
 * the per-window statistic ({@code z = (x - mean) / max(std, minStd)}), and an upper {@link Cusum}
 * on {@code z} with its threshold derived from the expected run length signals a sustained rise. A
 * window is out of control while the CUSUM is above its threshold (or its drifted share exceeds
 * the absolute {@code alarmShare}); the {@link HysteresisAlarm} turns that into an alarm.
 *
 * <p>The alarm names metrics: drifted features ranked by how far their PSI rose above their own
 * warm-up level ({@code ln(PSI + 0.001)} minus its warm-up mean), mapped to their raw metric.
 */
public final class DriftMonitor {

  private static final double LOG_FLOOR = 1e-3;

  private final DriftPolicy policy;
  private final double h;

  public DriftMonitor(DriftPolicy policy) {
    this.policy = requireNonNull(policy, "policy");
    this.h = policy.cusumThreshold();
  }

  public double threshold() {
    return h;
  }

  /** The outcome of one window. */
  public record Decision(boolean warmingUp, double statistic, double z, double cusum,
      boolean outOfControl, boolean alarm, HysteresisAlarm.Transition transition, String reason,
      List<String> metrics) {}

  /** The per-window statistic of {@link DriftPolicy#statistic()}. */
  public double statistic(MonitorState state, double[] psi, boolean[] drifted) {
    if (psi.length == 0) {
      return 0;
    }
    switch (policy.statistic()) {
      case MEAN_LOG_PSI -> {
        double s = 0;
        for (double p : psi) {
          s += Math.log(p + LOG_FLOOR);
        }
        return s / psi.length;
      }
      case RISEN_SHARE -> {
        long base = featureBaselineWindows();
        double rise = Math.log(policy.riseFactor());
        int n = 0;
        for (int i = 0; i < psi.length; i++) {
          if (drifted[i] && Math.log(psi[i] + LOG_FLOOR) - state.baselineLogPsi[i] / base > rise) {
            n++;
          }
        }
        return (double) n / psi.length;
      }
      default -> {
        return share(drifted);
      }
    }
  }

  /** Warm-up windows that set each feature's usual PSI: the first half for RISEN_SHARE, else all. */
  long featureBaselineWindows() {
    return policy.statistic() == DriftPolicy.Statistic.RISEN_SHARE
        ? policy.warmupWindows() / 2 : policy.warmupWindows();
  }

  public static double share(boolean[] drifted) {
    if (drifted.length == 0) {
      return 0;
    }
    int n = 0;
    for (boolean d : drifted) {
      n += d ? 1 : 0;
    }
    return (double) n / drifted.length;
  }

  /**
   * Folds one window into {@code state} and decides.
   *
   * @param psi per-feature PSI of the window
   * @param drifted per-feature drift decision
   * @param features feature names, same order
   * @param metricOf maps a feature name to its raw metric
   */
  public Decision assess(MonitorState state, double[] psi, boolean[] drifted, List<String> features,
      Function<String, String> metricOf) {
    if (psi.length != drifted.length || psi.length != features.size()) {
      throw new IllegalArgumentException("psi, drifted and features differ in length");
    }
    if (state.baselineLogPsi == null || state.baselineLogPsi.length != psi.length) {
      state.baselineLogPsi = new double[psi.length];
      state.warmup = 0;
      state.statisticWindows = 0;
      state.mean = 0;
      state.m2 = 0;
      state.cusum = 0;
    }
    if (policy.statistic() == DriftPolicy.Statistic.PER_METRIC) {
      return assessPerMetric(state, psi, drifted, features, metricOf);
    }
    state.windows++;
    double share = share(drifted);
    boolean overShare = share > policy.alarmShare();
    long featureWindows = featureBaselineWindows();
    if (state.warmup < policy.warmupWindows()) {
      state.warmup++;
      double x = Double.NaN;
      if (state.warmup <= featureWindows) {
        for (int i = 0; i < psi.length; i++) {
          state.baselineLogPsi[i] += Math.log(psi[i] + LOG_FLOOR);
        }
      }
      if (policy.statistic() != DriftPolicy.Statistic.RISEN_SHARE || state.warmup > featureWindows) {
        x = statistic(state, psi, drifted);
        state.statisticWindows++;
        double delta = x - state.mean;
        state.mean += delta / state.statisticWindows;
        state.m2 += delta * (x - state.mean);
      }
      HysteresisAlarm.Transition t = state.alarm.update(overShare, policy.raiseAfter(), policy.clearAfter());
      return finish(state, true, x, 0, overShare, t, psi, drifted, features, metricOf, share);
    }
    double x = statistic(state, psi, drifted);
    double z = (x - state.mean) / std(state, psi.length);
    state.cusum = Cusum.step(state.cusum, z, policy.cusumK(), h);
    boolean out = state.cusum > h || overShare;
    HysteresisAlarm.Transition t = state.alarm.update(out, policy.raiseAfter(), policy.clearAfter());
    return finish(state, false, x, z, out, t, psi, drifted, features, metricOf, share);
  }

  private Decision finish(MonitorState state, boolean warming, double x, double z, boolean out,
      HysteresisAlarm.Transition t, double[] psi, boolean[] drifted, List<String> features,
      Function<String, String> metricOf, double share) {
    if (t == HysteresisAlarm.Transition.RAISED) {
      state.alarmsRaised++;
    }
    List<String> metrics = List.of();
    String reason = null;
    if (state.alarm.raised) {
      metrics = rankMetrics(state, psi, drifted, features, metricOf);
      reason = String.format(Locale.ROOT,
          "%s: %s %.4f vs baseline %.4f +- %.4f (z %.2f), CUSUM %.2f > h %.2f (ARL0 %.0f windows),"
              + " drifted share %.3f; metrics whose drift rose most: %s",
          t == HysteresisAlarm.Transition.RAISED ? "drift alarm raised" : "drift alarm on",
          policy.statistic().name().toLowerCase(Locale.ROOT), x, state.mean, std(state, psi.length), z,
          state.cusum, h, policy.expectedRunLength(), share, String.join(", ", metrics));
    }
    return new Decision(warming, x, z, state.cusum, out, state.alarm.raised, t, reason, metrics);
  }

  /**
   * The baseline standard deviation of the statistic: the warm-up estimate, floored at {@code
   * minStd} and — for the drifted share of {@code n} features — at the binomial standard deviation
   * {@code sqrt(p (1 - p) / n)} with {@code p = max(mean, 1 / n)}: a share of yes/no decisions cannot
   * be steadier than independent ones, and a quiet warm-up must not make one flip look like a shift.
   */
  double std(MonitorState state, int n) {
    double s = state.std(policy.minStd());
    if (policy.statistic() != DriftPolicy.Statistic.MEAN_LOG_PSI && n > 0) {
      double p = Math.min(0.5, Math.max(state.mean, 1.0 / n));
      s = Math.max(s, Math.sqrt(p * (1 - p) / n));
    }
    return s;
  }

  /** PER_METRIC: one CUSUM per raw metric (see {@link DriftPolicy.Statistic#PER_METRIC}). */
  private Decision assessPerMetric(MonitorState state, double[] psi, boolean[] drifted, List<String> features,
      Function<String, String> metricOf) {
    Map<String, Integer> index = new LinkedHashMap<>();
    int[] of = new int[psi.length];
    for (int i = 0; i < psi.length; i++) {
      of[i] = index.computeIfAbsent(metricOf.apply(features.get(i)), k -> index.size());
    }
    int m = index.size();
    List<String> names = new ArrayList<>(index.keySet());
    if (state.metricMean == null || state.metricMean.length != m) {
      state.metricMean = new double[m];
      state.metricM2 = new double[m];
      state.metricCusum = new double[m];
      state.warmup = 0;
    }
    double[] y = new double[m];
    int[] count = new int[m];
    for (int i = 0; i < psi.length; i++) {
      y[of[i]] += Math.log(psi[i] + LOG_FLOOR);
      count[of[i]]++;
    }
    for (int j = 0; j < m; j++) {
      y[j] /= Math.max(1, count[j]);
    }
    state.windows++;
    double share = share(drifted);
    boolean overShare = share > policy.alarmShare();
    double hm = policy.cusumThreshold(m);
    if (state.warmup < policy.warmupWindows()) {
      state.warmup++;
      for (int j = 0; j < m; j++) {
        double delta = y[j] - state.metricMean[j];
        state.metricMean[j] += delta / state.warmup;
        state.metricM2[j] += delta * (y[j] - state.metricMean[j]);
      }
      HysteresisAlarm.Transition t = state.alarm.update(overShare, policy.raiseAfter(), policy.clearAfter());
      return finishPerMetric(state, true, 0, 0, overShare, t, names, hm, share);
    }
    double maxZ = Double.NEGATIVE_INFINITY;
    double maxRatio = 0;
    int over = 0;
    for (int j = 0; j < m; j++) {
      double sd = Math.max(policy.minStd(), Math.sqrt(state.metricM2[j] / Math.max(1, state.warmup - 1)));
      double z = (y[j] - state.metricMean[j]) / sd;
      maxZ = Math.max(maxZ, z);
      state.metricCusum[j] = Cusum.step(state.metricCusum[j], z, policy.cusumK(), hm);
      maxRatio = Math.max(maxRatio, state.metricCusum[j] / hm);
      over += state.metricCusum[j] > hm ? 1 : 0;
    }
    state.cusum = maxRatio * hm;
    boolean out = over > 0 || overShare;
    HysteresisAlarm.Transition t = state.alarm.update(out, policy.raiseAfter(), policy.clearAfter());
    return finishPerMetric(state, false, over, maxZ, out, t, names, hm, share);
  }

  private Decision finishPerMetric(MonitorState state, boolean warming, double over, double maxZ, boolean out,
      HysteresisAlarm.Transition t, List<String> names, double hm, double share) {
    if (t == HysteresisAlarm.Transition.RAISED) {
      state.alarmsRaised++;
    }
    List<String> metrics = List.of();
    String reason = null;
    if (state.alarm.raised) {
      Integer[] order = new Integer[names.size()];
      for (int j = 0; j < order.length; j++) {
        order[j] = j;
      }
      java.util.Arrays.sort(order, (a, b) -> Double.compare(state.metricCusum[b], state.metricCusum[a]));
      List<String> top = new ArrayList<>();
      StringBuilder detail = new StringBuilder();
      for (int j : order) {
        if (top.size() >= policy.alarmTopMetrics() || (state.metricCusum[j] <= hm && !top.isEmpty())) {
          break;
        }
        if (state.metricCusum[j] <= 0) {
          break;
        }
        top.add(names.get(j));
        // one decimal without a Formatter per metric (a twelfth of the window stage's thread while
        // an alarm was on in the bench)
        detail.append(detail.length() == 0 ? "" : ", ").append(names.get(j))
            .append(" (CUSUM ").append(Math.round(state.metricCusum[j] * 10) / 10.0).append(')');
      }
      metrics = top;
      reason = String.format(Locale.ROOT,
          "%s: %d metric(s) over the per-metric CUSUM threshold %.2f (ARL0 %.0f windows over %d metrics),"
              + " drifted share %.3f; drifted metrics: %s",
          t == HysteresisAlarm.Transition.RAISED ? "drift alarm raised" : "drift alarm on", (int) over, hm,
          policy.expectedRunLength(), names.size(), share, detail);
    }
    return new Decision(warming, over, maxZ, state.cusum, out, state.alarm.raised, t, reason, metrics);
  }

  /** Drifted features' metrics, by the rise of their PSI over their warm-up level, at most N. */
  List<String> rankMetrics(MonitorState state, double[] psi, boolean[] drifted, List<String> features,
      Function<String, String> metricOf) {
    int n = psi.length;
    Integer[] order = new Integer[n];
    double[] excess = new double[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
      long windows = Math.min(state.warmup, featureBaselineWindows());
      double base = windows == 0 ? Math.log(LOG_FLOOR) : state.baselineLogPsi[i] / windows;
      excess[i] = Math.log(psi[i] + LOG_FLOOR) - base;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(excess[b], excess[a]));
    Map<String, Boolean> metrics = new LinkedHashMap<>();
    for (int i : order) {
      if (metrics.size() >= policy.alarmTopMetrics()) {
        break;
      }
      if (drifted[i] && excess[i] > 0) {
        metrics.putIfAbsent(metricOf.apply(features.get(i)), true);
      }
    }
    return new ArrayList<>(metrics.keySet());
  }
}
