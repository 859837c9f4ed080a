package io.vigil.training.head;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Split;
import io.vigil.features.FeatureSet;
import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import io.vigil.training.ColdStartConfig;
import io.vigil.training.ColdStartTrainer;
import io.vigil.training.FeatureMatrix;
import io.vigil.training.FeatureSets;
import io.vigil.training.Scorer;
import io.vigil.training.TrainedModel;
import io.vigil.training.eval.Metrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The measurement behind ADR 0005 (a program, not a test): per SMD machine, the cold-start model on
 * the train half; the first half of the test rows is the pool labels come from, the second half is
 * reported on and never labelled or tuned on. Rules fixed before running: head defaults, labels
 * either the whole pool ("dense") or 100 rows drawn uniformly from it with seed 42 ("sparse").
 *
 * <p>Run: {@code java -cp <test classpath> io.vigil.training.head.HeadExperiment ../shared/data/smd}
 */
public final class HeadExperiment {

  public static void main(String[] args) {
    Path data = Path.of(args.length > 0 ? args[0] : "../shared/data/smd");
    Dataset all = Dataset.open(data, DatasetOptions.defaults().withSplit(Split.ALL));
    Dataset train = Dataset.open(data, DatasetOptions.defaults().withSplit(Split.TRAIN));
    String[] keys = {"cold_f1_op", "cold_f1_best", "cold_pr_auc", "dense_f1_op", "dense_p_f1_best",
        "dense_p_pr_auc", "dense_p_f1_at_pt", "sparse_f1_op", "sparse_p_f1_best", "sparse_p_pr_auc",
        "sparse_p_f1_at_pt", "train_s", "head_s"};
    List<double[]> rows = new ArrayList<>();
    System.out.println("machine " + String.join(" ", keys));
    for (EntitySeries s : all.entities()) {
      long n = train.entities().stream().filter(e -> e.entity().equals(s.entity())).findFirst().orElseThrow()
          .validate();
      FeatureSet set = FeatureSets.forMetrics(all.format(), s.metricNames());
      FeatureMatrix full = FeatureMatrix.of(set, s, 0, Long.MAX_VALUE);
      FeatureMatrix tr = full.slice(0, (int) n);
      FeatureMatrix test = full.slice((int) n, full.rows());
      int half = test.rows() / 2;
      boolean[] labels = new boolean[test.rows()];
      for (int i = 0; i < test.rows(); i++) {
        labels[i] = Boolean.TRUE.equals(s.label(test.sequences()[i]));
      }
      double[] r = new double[keys.length];
      long t0 = System.nanoTime();
      try (TrainedModel m = new ColdStartTrainer(ColdStartConfig.defaults()).train(tr, set.id(), set.version(),
          (e, k, l) -> { })) {
        r[11] = (System.nanoTime() - t0) / 1e9;
        ScoreBatch sb;
        try (Scorer sc = new Scorer(m.artifact())) {
          sb = sc.scoreAll(test);
        }
        ModelSpec spec = m.artifact().spec();
        int[] report = range(half, test.rows());
        boolean[] lr = pick(labels, report);
        double[] score = new double[report.length];
        for (int i = 0; i < report.length; i++) {
          score[i] = sb.scores()[report[i]];
        }
        r[0] = Metrics.f1At(score, lr, spec.scale().threshold()).f1();
        r[1] = Metrics.bestF1(score, lr).f1();
        r[2] = Metrics.averagePrecision(score, lr);
        long h0 = System.nanoTime();
        evaluate(spec, sb, labels, range(0, half), report, r, 3);
        r[12] = (System.nanoTime() - h0) / 1e9;
        int[] sparse = new Random(42).ints(0, half).distinct().limit(100).sorted().toArray();
        evaluate(spec, sb, labels, sparse, report, r, 7);
      }
      rows.add(r);
      print(s.entity(), r);
    }
    double[] mean = new double[keys.length];
    for (double[] r : rows) {
      for (int k = 0; k < keys.length; k++) {
        mean[k] += r[k] / rows.size();
      }
    }
    print("mean", mean);
  }

  private static void evaluate(ModelSpec spec, ScoreBatch sb, boolean[] labels, int[] labelled, int[] report,
      double[] r, int at) {
    SupervisedHeadTrainer.Result res = new SupervisedHeadTrainer(HeadConfig.defaults())
        .fit(spec, subset(sb, labelled), pick(labels, labelled));
    boolean[] lr = pick(labels, report);
    double[] score = new double[report.length];
    for (int i = 0; i < report.length; i++) {
      score[i] = sb.scores()[report[i]];
    }
    r[at] = Metrics.f1At(score, lr, res.spec().scale().threshold()).f1();
    ModelSpec.Head head = res.spec().head();
    if (head == null) {
      r[at + 1] = r[at + 2] = r[at + 3] = Double.NaN;
      return;
    }
    double[] p = new double[report.length];
    double[] f = new double[head.inputCount()];
    for (int i = 0; i < report.length; i++) {
      head.inputs(sb.scores()[report[i]], sb.attributions(), report[i], sb.cols(), f);
      p[i] = head.probability(f);
    }
    r[at + 1] = Metrics.bestF1(p, lr).f1();
    r[at + 2] = Metrics.averagePrecision(p, lr);
    r[at + 3] = Metrics.f1At(p, lr, head.probabilityThreshold()).f1();
  }

  /** The rows {@code idx} of {@code b}, in that order. */
  static ScoreBatch subset(ScoreBatch b, int[] idx) {
    float[] s = new float[idx.length];
    float[] u = new float[idx.length];
    float[] a = b.attributions() == null ? null : new float[idx.length * b.cols()];
    for (int i = 0; i < idx.length; i++) {
      s[i] = b.scores()[idx[i]];
      u[i] = b.uncertainty()[idx[i]];
      if (a != null) {
        System.arraycopy(b.attributions(), idx[i] * b.cols(), a, i * b.cols(), b.cols());
      }
    }
    return new ScoreBatch(s, u, a, b.cols());
  }

  private static int[] range(int from, int to) {
    int[] a = new int[to - from];
    Arrays.setAll(a, i -> from + i);
    return a;
  }

  private static boolean[] pick(boolean[] a, int[] idx) {
    boolean[] out = new boolean[idx.length];
    for (int i = 0; i < idx.length; i++) {
      out[i] = a[idx[i]];
    }
    return out;
  }

  private static void print(String name, double[] r) {
    StringBuilder b = new StringBuilder(name);
    for (double v : r) {
      b.append(String.format(Locale.ROOT, " %.3f", v));
    }
    System.out.println(b);
  }
}
