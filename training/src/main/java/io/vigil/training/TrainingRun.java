package io.vigil.training;

import static java.util.Objects.requireNonNull;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Split;
import io.vigil.features.FeatureSet;
import io.vigil.model.ModelArtifacts;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.Registration;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RunRef;
import io.vigil.training.eval.Metrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code vigil train} run: features of the data directory's training split through the shared
 * feature library, the cold-start model, evaluation on the held-out (test) split, the model
 * directory ({@code model.json}, parameters, {@code reference-profile.json}), and, with a registry,
 * the tracking run (params, per-epoch loss, metrics, artifacts), the registered version and an
 * optional alias.
 */
public final class TrainingRun {

  private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

  /** The artifact path of the model under the run's artifact root. */
  public static final String ARTIFACT_PATH = "model";

  private final TrainingConfig config;
  private final RegistryClient registry;

  /** @param registry null to train and save locally only */
  public TrainingRun(TrainingConfig config, RegistryClient registry) {
    this.config = requireNonNull(config, "config");
    this.registry = registry;
  }

  /**
   * @param metrics evaluation on the held-out split ({@code test_f1_best}, {@code test_f1_operating},
   *     {@code test_f1_event}, {@code test_pr_auc}); empty when the data has no labelled rows
   * @param runId null without a registry
   * @param version null without a registry
   */
  public record Result(Path modelDir, String featureSetVersion, String dataSnapshot, int trainRows,
      List<Double> epochLosses, Map<String, Double> metrics, double threshold, double seconds,
      String runId, ModelVersionInfo version) {}

  public Result run(Path data, Set<String> entities, Path outDir, String alias, EpochListener listener) {
    requireNonNull(listener, "listener");
    DatasetOptions options = DatasetOptions.defaults().withEntities(entities);
    Dataset all = Dataset.open(data, options.withSplit(Split.ALL));
    Dataset trainSplit = Dataset.open(data, options.withSplit(Split.TRAIN));
    Map<String, Long> trainRows = new HashMap<>();
    for (EntitySeries s : trainSplit.entities()) {
      trainRows.put(s.entity(), s.validate());
    }
    FeatureSet set = null;
    List<FeatureMatrix> fit = new ArrayList<>();
    List<FeatureMatrix> held = new ArrayList<>();
    List<FeatureMatrix> test = new ArrayList<>();
    List<EntitySeries> testSeries = new ArrayList<>();
    String firstSample = null;
    String lastSample = null;
    for (EntitySeries s : all.entities()) {
      FeatureSet es = FeatureSets.forMetrics(all.format(), s.metricNames());
      if (set == null) {
        set = es;
      } else if (!set.version().equals(es.version())) {
        throw new IllegalArgumentException("entities of " + data + " have different metrics: train one"
            + " model per kind of entity (--entities)");
      }
      long n = trainRows.getOrDefault(s.entity(), 0L);
      FeatureMatrix full = FeatureMatrix.of(es, s, 0, Long.MAX_VALUE);
      if (n < 10) {
        throw new IllegalArgumentException("entity " + s.entity() + " has only " + n + " training rows");
      }
      FeatureMatrix train = full.slice(0, (int) n);
      int validation = (int) Math.round(n * config.model().validationShare());
      fit.add(train.slice(0, (int) n - validation));
      held.add(train.slice((int) n - validation, (int) n));
      if (full.rows() > n) {
        test.add(full.slice((int) n, full.rows()));
        testSeries.add(s);
      }
      String first = s.entity() + ":" + train.sequences()[0];
      String last = s.entity() + ":" + train.sequences()[train.rows() - 1];
      firstSample = firstSample == null ? first : firstSample;
      lastSample = last;
    }
    FeatureMatrix fitAll = FeatureMatrix.concat(fit);
    FeatureMatrix heldAll = FeatureMatrix.concat(held);
    FeatureMatrix trainAll = FeatureMatrix.concat(List.of(fitAll, heldAll));
    String snapshot = trainAll.snapshotId();

    RunRef run = null;
    if (registry != null) {
      String experiment = registry.experimentId(config.registry().experiment());
      run = registry.startRun(experiment, "train-" + snapshot);
      logParams(run.runId(), data, all, set, snapshot, trainAll.rows());
    }
    final RunRef runRef = run;
    boolean ok = false;
    try {
      EpochListener logging = (epoch, epochs, loss) -> {
        listener.onEpoch(epoch, epochs, loss);
        if (runRef != null) {
          registry.logMetric(runRef.runId(), "train_loss", loss, epoch);
        }
      };
      Result result;
      try (TrainedModel model = new ColdStartTrainer(config.model()).train(fitAll, heldAll, set.id(),
          set.version(), logging)) {
        Path modelDir = outDir.resolve(ARTIFACT_PATH);
        clean(modelDir);
        ModelArtifacts.save(model.artifact(), modelDir);
        ReferenceProfile.of(trainAll, model.validationScores(), set.version(), config.profile().bins())
            .write(modelDir.resolve(ReferenceProfile.FILE));
        double threshold = model.artifact().spec().scale().threshold();
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (!test.isEmpty()) {
          FeatureMatrix testAll = FeatureMatrix.concat(test);
          float[] s;
          try (Scorer scorer = new Scorer(model.artifact())) {
            s = scorer.scores(testAll);
          }
          double[] scores = new double[s.length];
          boolean[] labels = new boolean[s.length];
          int row = 0;
          int labelled = 0;
          for (int e = 0; e < test.size(); e++) {
            for (long seq : test.get(e).sequences()) {
              Boolean l = testSeries.get(e).label(seq);
              labelled += l == null ? 0 : 1;
              labels[row] = Boolean.TRUE.equals(l);
              scores[row] = s[row];
              row++;
            }
          }
          if (labelled > 0) {
            metrics.put("test_f1_best", Metrics.bestF1(scores, labels).f1());
            metrics.put("test_f1_operating", Metrics.f1At(scores, labels, threshold).f1());
            metrics.put("test_f1_event", Metrics.eventF1(scores, labels, threshold).f1());
            metrics.put("test_pr_auc", Metrics.averagePrecision(scores, labels));
          }
        }
        metrics.put("train_seconds", model.seconds());
        ModelVersionInfo version = null;
        if (runRef != null) {
          for (Map.Entry<String, Double> m : metrics.entrySet()) {
            registry.logMetric(runRef.runId(), m.getKey(), m.getValue(), 0);
          }
          registry.logMetric(runRef.runId(), "threshold", threshold, 0);
          registry.uploadArtifacts(runRef.runId(), ARTIFACT_PATH, modelDir);
          version = registry.register(new Registration(config.registry().modelName(), runRef.runId(),
              ARTIFACT_PATH, set.version(), snapshot, firstSample + ".." + lastSample,
              "cold-start autoencoder over " + set.id() + " (" + trainAll.rows() + " rows)",
              Map.of("vigil.model_kind", "cold-start-autoencoder"), config.registry().actor()));
          if (alias != null && !alias.isBlank()) {
            registry.setAlias(config.registry().modelName(), alias, version.version(),
                config.registry().actor(), "vigil train " + snapshot);
          }
        }
        result = new Result(modelDir, set.version(), snapshot, trainAll.rows(), model.epochLosses(),
            metrics, threshold, model.seconds(), runRef == null ? null : runRef.runId(), version);
      }
      ok = true;
      LOG.info("trained on {} rows of {} ({}), snapshot {}", trainAll.rows(), data, set.version(), snapshot);
      return result;
    } finally {
      if (runRef != null) {
        registry.finishRun(runRef.runId(), ok);
      }
    }
  }

  private void logParams(String runId, Path data, Dataset all, FeatureSet set, String snapshot, int rows) {
    ColdStartConfig m = config.model();
    Map<String, String> p = new LinkedHashMap<>();
    p.put("data", data.toString());
    p.put("format", all.format().name());
    p.put("entities", String.join(",", all.entities().stream().map(EntitySeries::entity).toList()));
    p.put("feature_set_id", set.id());
    p.put("feature_set_version", set.version());
    p.put("data_snapshot", snapshot);
    p.put("train_rows", Integer.toString(rows));
    p.put("hidden_sizes", m.hiddenSizes().toString());
    p.put("epochs", Integer.toString(m.epochs()));
    p.put("batch_size", Integer.toString(m.batchSize()));
    p.put("learning_rate", Double.toString(m.learningRate()));
    p.put("seed", Long.toString(m.seed()));
    p.put("validation_share", Double.toString(m.validationShare()));
    p.put("threshold_quantile", Double.toString(m.thresholdQuantile()));
    p.put("clip", Double.toString(m.clip()));
    p.put("error_floor", Double.toString(m.errorFloor()));
    p.put("max_z_weight", Double.toString(m.maxZWeight()));
    p.put("mix_component", m.mixComponent().name());
    p.put("mix_clip", Double.toString(m.mixClip()));
    for (Map.Entry<String, String> e : p.entrySet()) {
      registry.logParam(runId, e.getKey(), e.getValue());
    }
    registry.setRunTag(runId, Registration.FEATURE_SET_TAG, set.version());
    registry.setRunTag(runId, Registration.SNAPSHOT_TAG, snapshot);
  }

  private static void clean(Path dir) {
    try {
      Files.createDirectories(dir);
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          if (Files.isRegularFile(f)) {
            Files.delete(f);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + dir, e);
    }
  }

}
