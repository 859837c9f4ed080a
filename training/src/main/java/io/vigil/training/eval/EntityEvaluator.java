package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.RootCause;
import io.vigil.features.FeatureSet;
import io.vigil.model.ScoreBatch;
import io.vigil.selection.Strategy;
import io.vigil.training.ColdStartConfig;
import io.vigil.training.ColdStartTrainer;
import io.vigil.training.EpochListener;
import io.vigil.training.FeatureMatrix;
import io.vigil.training.MetricAttributions;
import io.vigil.training.Scorer;
import io.vigil.training.TrainedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Evaluates one entity the way the system runs: cold start on its unlabelled training rows, then
 * the test rows streamed in time order through the {@link PrequentialLoop}, each scored before any
 * label is known; metrics from the prediction log.
 */
public final class EntityEvaluator {

  private final ColdStartConfig config;

  public EntityEvaluator(ColdStartConfig config) {
    this.config = requireNonNull(config, "config");
  }

  /**
   * @param series the entity's whole series (training rows first, then test rows)
   * @param trainRows how many leading rows are the unlabelled training part
   */
  public EntityResult evaluate(EntitySeries series, long trainRows, FeatureSet set, Strategy strategy) {
    return evaluate(series, trainRows, set, strategy, 0, 0);
  }

  /**
   * @param budget annotator queries per entity (ignored for {@link Strategy#NONE})
   * @param noise probability that the simulated annotator answers wrongly
   */
  public EntityResult evaluate(EntitySeries series, long trainRows, FeatureSet set, Strategy strategy,
      int budget, double noise) {
    FeatureMatrix full = FeatureMatrix.of(set, series, 0, Long.MAX_VALUE);
    if (trainRows < 10 || trainRows >= full.rows()) {
      throw new IllegalArgumentException("entity " + series.entity() + ": " + trainRows
          + " training rows of " + full.rows() + ": need a training part and a test part");
    }
    FeatureMatrix train = full.slice(0, (int) trainRows);
    FeatureMatrix test = full.slice((int) trainRows, full.rows());
    MetricAttributions attributions = new MetricAttributions(set.metrics(), set.featureNames());
    GuardedLabels annotator = new GuardedLabels(series::label);
    List<Prediction> log;
    double threshold;
    double seconds;
    try (TrainedModel model = new ColdStartTrainer(config).train(train, set.id(), set.version(),
        EpochListener.none());
        Scorer scorer = new Scorer(model.artifact())) {
      threshold = model.artifact().spec().scale().threshold();
      seconds = model.seconds();
      final double t = threshold;
      IncidentLearner learner = new IncidentLearner(strategy, strategy == Strategy.NONE ? 0 : budget,
          test.rows(), threshold, noise, config.seed() ^ series.entity().hashCode());
      log = PrequentialLoop.run(test, (seq, x) -> {
        ScoreBatch b = scorer.score(x, 1);
        float[] perMetric = b.attributions() == null ? new float[0]
            : attributions.perMetric(b.attributions(), 0, x.length);
        double score = learner.adjust(b.scores()[0]);
        return new Prediction(seq, score, score >= t, perMetric);
      }, learner, annotator);
    }
    return metrics(series, log, attributions, threshold, annotator.revealed(), seconds, config.seed());
  }

  /** Metrics of a prediction log against the series' labels and root causes. */
  static EntityResult metrics(EntitySeries series, List<Prediction> log, MetricAttributions attributions,
      double threshold, long queries, double seconds, long seed) {
    int n = log.size();
    double[] scores = new double[n];
    boolean[] labels = new boolean[n];
    int anomalies = 0;
    for (int i = 0; i < n; i++) {
      scores[i] = log.get(i).score();
      labels[i] = Boolean.TRUE.equals(series.label(log.get(i).sequence()));
      anomalies += labels[i] ? 1 : 0;
    }
    double[] random = new double[n];
    Random r = new Random(seed ^ series.entity().hashCode());
    for (int i = 0; i < n; i++) {
      random[i] = r.nextDouble();
    }
    long first = n == 0 ? 0 : log.get(0).sequence();
    List<List<String>> rankings = new ArrayList<>();
    List<List<String>> truths = new ArrayList<>();
    for (RootCause rc : series.rootCauses()) {
      for (long s = rc.startSequence(); s < rc.endSequence(); s++) {
        long idx = s - first;
        if (idx >= 0 && idx < n && log.get((int) idx).metricAttributions().length > 0) {
          rankings.add(attributions.ranked(log.get((int) idx).metricAttributions()));
          truths.add(rc.metrics());
        }
      }
    }
    return new EntityResult(series.entity(), n, anomalies,
        Metrics.bestF1(scores, labels).f1(),
        Metrics.f1At(scores, labels, threshold).f1(),
        Metrics.eventF1(scores, labels, threshold).f1(),
        Metrics.averagePrecision(scores, labels),
        Metrics.pointAdjustedBestF1(scores, labels).f1(),
        Metrics.pointAdjustedBestF1(random, labels).f1(),
        Metrics.hitRate(rankings, truths, 1.5),
        queries, threshold, seconds);
  }
}
