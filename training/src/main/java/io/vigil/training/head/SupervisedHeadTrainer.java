package io.vigil.training.head;

import static java.util.Objects.requireNonNull;

import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import io.vigil.training.eval.Metrics;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns from whatever labels exist: fits the supervised head of a scored model and moves its
 * operating threshold, both from labelled rows the score itself never saw a label of.
 *
 * <ol>
 *   <li>The labelled rows, in time order, are split: the first {@code 1 - calibrationShare} fit
 *       the head, the rest calibrate it.
 *   <li>Head inputs per row: {@code asinh(score)} and the {@code topErrors} largest attributions
 *       ({@link ModelSpec.Head#inputs}), standardised with the fit rows' mean and deviation.
 *   <li>A logistic model with class weights ({@code n / (2 n_class)}, so the rare anomalies count as
 *       much as the normal rows) and an L2 penalty, fitted by Newton's method — deterministic.
 *   <li>Platt calibration ({@code sigmoid(a * logit + b)}, Platt's smoothed targets, unweighted so the
 *       probability reflects the real base rate) on the calibration rows; without both classes there,
 *       only the prior is corrected ({@code a = 1, b = ln(n+ / n-)}, undoing the class weights).
 *   <li>The operating threshold of the score (common scale, unchanged scale) becomes the F1-best one
 *       on the calibration rows (midway between the lowest flagged and the highest unflagged score),
 *       when they hold an anomaly; otherwise it stays where the unlabelled training put it.
 * </ol>
 *
 * Too few labels (below {@code minLabels}, or fewer than {@code minPerClass} of a class among the
 * fit rows): no head; the threshold still moves when the calibration rows allow it.
 */
public final class SupervisedHeadTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(SupervisedHeadTrainer.class);

  private final HeadConfig config;

  public SupervisedHeadTrainer(HeadConfig config) {
    this.config = requireNonNull(config, "config");
  }

  /**
   * What the labels changed.
   *
   * @param spec the model's spec with the head (if one was fitted) and the threshold (if moved)
   * @param fitRows labelled rows the head was fitted on
   * @param calibrationRows labelled rows calibration and threshold were chosen on
   * @param note why no head or no threshold move, empty when both happened
   */
  public record Result(ModelSpec spec, boolean headTrained, boolean thresholdFromLabels, int fitRows,
      int calibrationRows, String note) {}

  /**
   * @param spec the scored model's spec (its head, if any, is replaced)
   * @param scored the model's answers for the labelled rows, in time order
   * @param labels per row, true = anomaly
   */
  public Result fit(ModelSpec spec, ScoreBatch scored, boolean[] labels) {
    requireNonNull(spec, "spec");
    int n = labels.length;
    if (scored.rows() != n) {
      throw new IllegalArgumentException(scored.rows() + " scored rows for " + n + " labels");
    }
    int topErrors = scored.attributions() == null ? 0 : Math.min(config.topErrors(), spec.inputSize());
    int cal = (int) Math.round(n * config.calibrationShare());
    int fit = n - cal;
    List<String> notes = new ArrayList<>();
    ModelSpec out = spec.withHead(null);

    int fitPos = 0;
    for (int i = 0; i < fit; i++) {
      fitPos += labels[i] ? 1 : 0;
    }
    int calPos = 0;
    for (int i = fit; i < n; i++) {
      calPos += labels[i] ? 1 : 0;
    }
    boolean headTrained = false;
    if (n < config.minLabels() || fitPos < config.minPerClass() || fit - fitPos < config.minPerClass()) {
      notes.add("no head: " + n + " labels, " + fitPos + " anomalies and " + (fit - fitPos)
          + " normal among the " + fit + " fit rows (need " + config.minLabels() + " labels, "
          + config.minPerClass() + " of each class)");
    } else {
      out = out.withHead(head(scored, labels, fit, n, topErrors, fitPos));
      headTrained = true;
    }

    boolean thresholdMoved = false;
    if (cal > 0 && calPos > 0) {
      double[] s = new double[cal];
      boolean[] l = new boolean[cal];
      for (int i = 0; i < cal; i++) {
        s[i] = scored.scores()[fit + i];
        l[i] = labels[fit + i];
      }
      double t = bestThreshold(s, l);
      ModelSpec.ScoreScale sc = out.scale();
      out = out.withScale(new ModelSpec.ScoreScale(sc.center(), sc.spread(), t));
      thresholdMoved = true;
    } else {
      notes.add("threshold kept: no anomaly among the " + cal + " calibration rows");
    }
    LOG.info("supervised head labels={} fit={} calibration={} head={} threshold={} ({})", n, fit, cal,
        headTrained, out.scale().threshold(), thresholdMoved ? "from labels" : "kept");
    return new Result(out, headTrained, thresholdMoved, fit, cal, String.join("; ", notes));
  }

  private ModelSpec.Head head(ScoreBatch scored, boolean[] labels, int fit, int n, int topErrors, int fitPos) {
    int d = 1 + topErrors;
    double[] raw = new double[n * d];
    double[] f = new double[d];
    ModelSpec.Head probe = new ModelSpec.Head(topErrors, zeros(d, 0), zeros(d, 1), zeros(d, 0), 0, 1, 0, 0.5);
    for (int i = 0; i < n; i++) {
      probe.inputs(scored.scores()[i], scored.attributions(), i, scored.cols(), f);
      System.arraycopy(f, 0, raw, i * d, d);
    }
    double[] center = new double[d];
    double[] scale = new double[d];
    for (int j = 0; j < d; j++) {
      double sum = 0;
      for (int i = 0; i < fit; i++) {
        sum += raw[i * d + j];
      }
      center[j] = sum / fit;
      double ss = 0;
      for (int i = 0; i < fit; i++) {
        double dv = raw[i * d + j] - center[j];
        ss += dv * dv;
      }
      scale[j] = Math.max(Math.sqrt(ss / fit), 1e-6);
    }
    double[] z = new double[fit * d];
    for (int i = 0; i < fit; i++) {
      for (int j = 0; j < d; j++) {
        z[i * d + j] = (raw[i * d + j] - center[j]) / scale[j];
      }
    }
    double[] y = new double[fit];
    double[] w = new double[fit];
    double wPos = fit / (2.0 * fitPos);
    double wNeg = fit / (2.0 * (fit - fitPos));
    for (int i = 0; i < fit; i++) {
      y[i] = labels[i] ? 1 : 0;
      w[i] = labels[i] ? wPos : wNeg;
    }
    double[] theta = Logistic.fit(z, fit, d, y, w, config.l2(), config.maxIterations());
    List<Double> weights = new ArrayList<>();
    for (int j = 0; j < d; j++) {
      weights.add(theta[j]);
    }
    ModelSpec.Head uncalibrated = new ModelSpec.Head(topErrors, boxed(center), boxed(scale), weights, theta[d],
        1, 0, 0.5);

    // Platt on the calibration rows
    int cal = n - fit;
    double[] logit = new double[cal];
    int calPos = 0;
    for (int i = 0; i < cal; i++) {
      System.arraycopy(raw, (fit + i) * d, f, 0, d);
      logit[i] = uncalibrated.logit(f);
      calPos += labels[fit + i] ? 1 : 0;
    }
    double a = 1;
    double b = Math.log((double) fitPos / (fit - fitPos)); // undoes the class weights' prior shift
    if (calPos > 0 && calPos < cal) {
      double hi = (calPos + 1.0) / (calPos + 2.0);
      double lo = 1.0 / (cal - calPos + 2.0);
      double[] t = new double[cal];
      double[] ones = new double[cal];
      for (int i = 0; i < cal; i++) {
        t[i] = labels[fit + i] ? hi : lo;
        ones[i] = 1;
      }
      double[] ab = Logistic.fit(logit, cal, 1, t, ones, 0, config.maxIterations());
      a = ab[0];
      b = ab[1];
    }
    ModelSpec.Head calibrated = new ModelSpec.Head(topErrors, boxed(center), boxed(scale), weights, theta[d],
        a, b, 0.5);
    double pThreshold = 0.5;
    if (calPos > 0) {
      double[] p = new double[cal];
      boolean[] l = new boolean[cal];
      for (int i = 0; i < cal; i++) {
        System.arraycopy(raw, (fit + i) * d, f, 0, d);
        p[i] = calibrated.probability(f);
        l[i] = labels[fit + i];
      }
      pThreshold = Math.min(1, Math.max(0, bestThreshold(p, l)));
    }
    return new ModelSpec.Head(topErrors, boxed(center), boxed(scale), weights, theta[d], a, b, pThreshold);
  }

  /**
   * The F1-best threshold for {@code value >= threshold}, placed midway between the lowest flagged
   * value and the highest value below it (so it does not sit on one labelled row).
   */
  public static double bestThreshold(double[] values, boolean[] labels) {
    Metrics.F1 best = Metrics.bestF1(values, labels);
    double t = best.threshold();
    if (!Double.isFinite(t)) {
      return Double.MAX_VALUE;
    }
    double below = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      if (v < t && v > below) {
        below = v;
      }
    }
    return below == Double.NEGATIVE_INFINITY ? t : (t + below) / 2;
  }

  private static List<Double> zeros(int d, double v) {
    List<Double> l = new ArrayList<>(d);
    for (int i = 0; i < d; i++) {
      l.add(v);
    }
    return l;
  }

  private static List<Double> boxed(double[] a) {
    List<Double> l = new ArrayList<>(a.length);
    for (double v : a) {
      l.add(v);
    }
    return l;
  }
}
