package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetException;
import io.vigil.datasets.DatasetFormat;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Split;
import io.vigil.features.FeatureSet;
import io.vigil.selection.Strategy;
import io.vigil.training.ColdStartConfig;
import io.vigil.training.FeatureSets;
import io.vigil.training.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/** {@code vigil eval}: every entity of a data directory through the {@link EntityEvaluator}. */
public final class Evaluation {

  private final TrainingConfig config;
  private final Strategy strategy;
  private final int budget;
  private final double noise;
  private final boolean retrain;

  public Evaluation(ColdStartConfig config, Strategy strategy) {
    this(config, strategy, 0, 0);
  }

  /** Incidents only, no retraining. @param budget queries per entity; @param noise annotator error probability */
  public Evaluation(ColdStartConfig config, Strategy strategy, int budget, double noise) {
    this(TrainingConfig.defaults().withModel(config), strategy, budget, noise, false);
  }

  /**
   * @param config model, head and the watcher's retraining settings
   * @param budget queries per entity
   * @param noise annotator error probability
   * @param retrain retrain during the stream as the watcher would ({@link StreamRetrainer})
   */
  public Evaluation(TrainingConfig config, Strategy strategy, int budget, double noise, boolean retrain) {
    this.config = requireNonNull(config, "config");
    this.retrain = retrain;
    this.strategy = requireNonNull(strategy, "strategy");
    if (strategy != Strategy.NONE && budget < 1) {
      throw new IllegalArgumentException("--strategy " + strategy.name().toLowerCase(java.util.Locale.ROOT)
          + " needs --budget N (N >= 1)");
    }
    this.budget = budget;
    this.noise = noise;
  }

  /** Where the ground truth of {@code entity} is looked for, for a refusal's message. */
  private static String whereLabelsAre(DatasetFormat format, Path data, String entity) {
    if (format != DatasetFormat.NAB) {
      return "it needs test_label/" + entity + " beside test/";
    }
    Path windows = Dataset.nabWindowsFile(data);
    return "NAB needs an entry for its CSV in labels/combined_windows.json, in the data directory or up to "
        + Dataset.NAB_WINDOWS_LEVELS + " levels above it ("
        + (windows == null ? "none found" : windows + " has none for it") + ")";
  }

  /**
   * @param entities entity names to evaluate, empty = all
   * @param progress told after each entity
   */
  public EvalReport run(Path data, Set<String> entities, Consumer<EntityResult> progress) {
    long t0 = System.nanoTime();
    DatasetOptions options = DatasetOptions.defaults().withEntities(entities);
    Dataset all = Dataset.open(data, options.withSplit(Split.ALL));
    Dataset train = Dataset.open(data, options.withSplit(Split.TRAIN));
    Map<String, EntitySeries> trainByName = new HashMap<>();
    for (EntitySeries s : train.entities()) {
      trainByName.put(s.entity(), s);
    }
    EntityEvaluator evaluator = new EntityEvaluator(config, retrain);
    List<EntityResult> results = new ArrayList<>();
    for (EntitySeries s : all.entities()) {
      if (s.labelledRows() == 0) {
        throw new DatasetException("entity " + s.entity() + " in " + data + " has no labels, and eval measures"
            + " against them: " + whereLabelsAre(all.format(), data, s.entity()) + "; --entities evaluates a subset");
      }
    }
    for (EntitySeries s : all.entities()) {
      EntitySeries t = trainByName.get(s.entity());
      long trainRows = t == null ? 0 : t.validate();
      FeatureSet set = FeatureSets.forMetrics(all.format(), s.metricNames());
      EntityResult r = evaluator.evaluate(s, trainRows, set, strategy, budget, noise);
      results.add(r);
      progress.accept(r);
    }
    return new EvalReport(data.toString(), strategy.name().toLowerCase(java.util.Locale.ROOT),
        config.model(), results, (System.nanoTime() - t0) / 1e9);
  }
}
