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
import io.vigil.features.MetricAttributions;
import io.vigil.training.TrainedModel;
import io.vigil.training.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Evaluates one entity the way the system runs: cold start on its unlabelled training rows, then
 * the test rows streamed in time order through the {@link PrequentialLoop}, each scored before any
 * label is known; the answers to the queries open and close incidents ({@link IncidentLearner}) and,
 * when retraining is on, retrain the model as the watcher would ({@link StreamRetrainer}); metrics
 * from the prediction log.
 */
public final class EntityEvaluator {

  private final TrainingConfig config;
  private final boolean retrain;

  /** Cold start and incidents, no retraining (the watcher's settings at their defaults). */
  public EntityEvaluator(ColdStartConfig config) {
    this(TrainingConfig.defaults().withModel(config), false);
  }

  /**
   * @param config the model, the head and the watcher's triggers, data split and promotion margin
   * @param retrain retrain during the stream as {@code vigil train --watch} would ({@link StreamRetrainer})
   */
  public EntityEvaluator(TrainingConfig config, boolean retrain) {
    this.config = requireNonNull(config, "config");
    this.retrain = retrain;
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
    ColdStartConfig model = config.model();
    List<Prediction> log;
    double threshold;
    double seconds;
    int runs;
    int promotions;
    TrainedModel initial = new ColdStartTrainer(model).train(train, set.id(), set.version(),
        EpochListener.none());
    seconds = initial.seconds();
    try (StreamRetrainer models = new StreamRetrainer(config, full, times(series, full), set.id(),
        set.version(), initial, retrain && strategy != Strategy.NONE)) {
      IncidentLearner incidents = new IncidentLearner(strategy, strategy == Strategy.NONE ? 0 : budget,
          test.rows(), noise, model.seed() ^ series.entity().hashCode());
      incidents.onAnswers(models::onAnswer);
      PrequentialLoop.Learner learner = (p, x, labels) -> {
        incidents.afterScored(p, x, labels);
        models.afterWindow(p.sequence());
      };
      log = PrequentialLoop.run(test, (seq, x) -> {
        ScoreBatch b = models.scorer().score(x, 1);
        float[] perMetric = b.attributions() == null ? new float[0]
            : attributions.perMetric(b.attributions(), 0, x.length);
        double score = incidents.adjust(b.scores()[0]);
        return new Prediction(seq, score, score >= models.threshold(), perMetric);
      }, learner, annotator);
      threshold = models.threshold();
      runs = models.runs().size();
      promotions = models.promotions();
    }
    return metrics(series, log, attributions, threshold, annotator.revealed(), seconds, model.seed(), runs,
        promotions);
  }

  /** Each row's window end (milliseconds), from the series' timestamps. */
  private static long[] times(EntitySeries series, FeatureMatrix full) {
    java.util.Map<Long, Long> bySequence = new java.util.HashMap<>();
    for (java.util.Iterator<io.vigil.datasets.Row> it = series.rows(); it.hasNext(); ) {
      io.vigil.datasets.Row r = it.next();
      bySequence.put(r.sequence(), r.time().toEpochMilli());
    }
    long[] out = new long[full.rows()];
    for (int i = 0; i < out.length; i++) {
      Long t = bySequence.get(full.sequences()[i]);
      out[i] = t == null ? (i == 0 ? 0 : out[i - 1]) : t;
    }
    return out;
  }

  /** Metrics of a prediction log against the series' labels and root causes. */
  static EntityResult metrics(EntitySeries series, List<Prediction> log, MetricAttributions attributions,
      double threshold, long queries, double seconds, long seed) {
    return metrics(series, log, attributions, threshold, queries, seconds, seed, 0, 0);
  }

  /**
   * {@code f1_operating} and {@code f1_event} use each prediction's own flag (the threshold of the
   * model that scored it); {@code threshold} is the last model's.
   */
  static EntityResult metrics(EntitySeries series, List<Prediction> log, MetricAttributions attributions,
      double threshold, long queries, double seconds, long seed, int retrainRuns, int promotions) {
    int n = log.size();
    double[] scores = new double[n];
    double[] flags = new double[n];
    boolean[] labels = new boolean[n];
    int anomalies = 0;
    for (int i = 0; i < n; i++) {
      scores[i] = log.get(i).score();
      flags[i] = log.get(i).flagged() ? 1 : 0;
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
        Metrics.f1At(flags, labels, 0.5).f1(),
        Metrics.eventF1(flags, labels, 0.5).f1(),
        Metrics.averagePrecision(scores, labels),
        Metrics.pointAdjustedBestF1(scores, labels).f1(),
        Metrics.pointAdjustedBestF1(random, labels).f1(),
        Metrics.hitRate(rankings, truths, 1.5),
        queries, threshold, seconds, retrainRuns, promotions);
  }
}
