package io.vigil.drift;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Row;
import io.vigil.datasets.Split;
import io.vigil.features.EntityState;
import io.vigil.features.FeatureEngine;
import io.vigil.features.FeatureSet;
import io.vigil.features.FeatureVectors;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.Prediction;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Real SMD rows of one machine through the features library (the offline path's engine), a
 * hand-written scorer (the feature {@code summary.max_abs_z}, a logistic probability around the
 * 99th percentile of the training scores), and a reference profile built from the training rows the
 * way training builds it. Optionally adds {@code shiftStd} reference standard deviations to some
 * metrics from some row on.
 */
final class SmdReplay {

  static final FeatureSet SET = FeatureSet.smdDefault();
  static final Instant START = Instant.parse("2026-03-01T00:00:00Z");

  final String machine;
  final double[][] trainRows;
  final double[][] testRows;
  final double[] trainStd;
  final int scoreColumn;
  double threshold;

  SmdReplay(String machine, int testLimit) {
    this.machine = machine;
    this.trainRows = rows(machine, Split.TRAIN, Integer.MAX_VALUE);
    this.testRows = rows(machine, Split.TEST, testLimit);
    int m = trainRows[0].length;
    trainStd = new double[m];
    for (int j = 0; j < m; j++) {
      double s = 0;
      double ss = 0;
      for (double[] r : trainRows) {
        s += r[j];
        ss += r[j] * r[j];
      }
      double mean = s / trainRows.length;
      trainStd[j] = Math.sqrt(Math.max(0, ss / trainRows.length - mean * mean));
    }
    scoreColumn = SET.featureNames().indexOf("summary.max_abs_z");
  }

  static Path data() {
    return Path.of(System.getProperty("vigil.data.dir", "../../shared/data")).resolve("smd");
  }

  private static double[][] rows(String machine, Split split, int limit) {
    Dataset ds = Dataset.open(data(), DatasetOptions.defaults().withSplit(split).withEntities(Set.of(machine)));
    EntitySeries s = ds.entities().get(0);
    int[] cols = new int[SET.metrics().size()];
    for (int i = 0; i < cols.length; i++) {
      cols[i] = s.metricNames().indexOf(SET.metrics().get(i));
    }
    List<double[]> out = new ArrayList<>();
    Iterator<Row> it = s.rows();
    while (it.hasNext() && out.size() < limit) {
      double[] v = it.next().values();
      double[] x = new double[cols.length];
      for (int i = 0; i < cols.length; i++) {
        x[i] = v[cols[i]];
      }
      out.add(x);
    }
    return out.toArray(new double[0][]);
  }

  /** Feature values of {@code rows}, one row per minute from {@code start}, shifted as asked. */
  static List<double[]> features(double[][] rows, double[] std, Set<Integer> shifted, int shiftFrom,
      double shiftStd) {
    FeatureEngine engine = new FeatureEngine(SET);
    EntityState state = engine.newState();
    List<double[]> out = new ArrayList<>(rows.length);
    for (int i = 0; i < rows.length; i++) {
      double[] x = rows[i].clone();
      if (i >= shiftFrom) {
        for (int j : shifted) {
          x[j] += shiftStd * std[j];
        }
      }
      out.add(engine.update(state, START.toEpochMilli() + i * 60_000L, x).clone());
    }
    return out;
  }

  double score(double[] features) {
    return features[scoreColumn];
  }

  static double probability(double score, double threshold) {
    return 1 / (1 + Math.exp(-4 * (score - threshold)));
  }

  /** The reference profile of this machine's training rows, 20 bins, like training's. */
  ReferenceProfile profile() {
    List<double[]> f = features(trainRows, trainStd, Set.of(), Integer.MAX_VALUE, 0);
    List<String> names = SET.featureNames();
    List<ReferenceProfile.Hist> hs = new ArrayList<>();
    double[] col = new double[f.size()];
    for (int c = 0; c < names.size(); c++) {
      for (int r = 0; r < f.size(); r++) {
        col[r] = f.get(r)[c];
      }
      hs.add(ReferenceProfile.Hist.of(names.get(c), col, 20));
    }
    double[] scores = new double[f.size()];
    for (int r = 0; r < f.size(); r++) {
      scores[r] = score(f.get(r));
    }
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    threshold = sorted[(int) (0.99 * (sorted.length - 1))];
    return new ReferenceProfile(1, SET.version(), "smd-" + machine + "-train", f.size(), hs,
        ReferenceProfile.Hist.of("score", scores, 20));
  }

  /** The test rows' vectors (without names, as the feature job sends them). */
  List<FeatureVector> vectors(List<double[]> features) {
    List<FeatureVector> out = new ArrayList<>(features.size());
    for (int i = 0; i < features.size(); i++) {
      long t = START.toEpochMilli() + i * 60_000L;
      out.add(FeatureVectors.of(machine, t - 9 * 60_000L, t, SET, SET.version(), List.of(), features.get(i), i));
    }
    return out;
  }

  Prediction prediction(FeatureVector v, double[] features, String model, String version, double threshold,
      boolean shadow) {
    double s = score(features);
    return Prediction.newBuilder().setSampleId(v.getSampleId()).setEntity(v.getEntity())
        .setWindowStart(v.getWindowStart()).setWindowEnd(v.getWindowEnd()).setModelName(model)
        .setModelVersion(version).setScore(s).setProbability(probability(s, threshold))
        .setUncertainty(0.5).setThreshold(threshold).setAnomaly(s > threshold).setAttributions(Map.of())
        .setPredictedAt(v.getWindowEnd()).setShadow(shadow).setFeatureSetVersion(SET.version()).build();
  }
}
