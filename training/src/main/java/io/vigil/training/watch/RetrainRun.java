package io.vigil.training.watch;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.registry.client.DownloadedModel;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.Registration;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RunRef;
import io.vigil.schemas.ModelEvent;
import io.vigil.schemas.ModelEventType;
import io.vigil.training.EpochListener;
import io.vigil.training.FeatureMatrix;
import io.vigil.training.ReferenceProfile;
import io.vigil.training.Retraining;
import io.vigil.training.TrainingConfig;
import io.vigil.training.head.SupervisedHeadTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One retraining run of the watcher, on a snapshot of its labels and features.
 *
 * <ol>
 *   <li>The feature-set version most of the labelled samples have; only its rows are used.
 *   <li>Labelled samples in time order (window end, then sample id); the latest {@code holdoutShare}
 *       is the holdout, never trained on (not even unlabelled).
 *   <li>The cold-start autoencoder on the unlabelled and normal-labelled rows that end before the
 *       holdout starts (all non-holdout rows if too few), in time order.
 *   <li>The supervised head and the operating threshold on the labelled rows before the holdout.
 *   <li>Candidate and champion (if its inputs match) on the holdout: F1 at each model's own
 *       threshold, PR-AUC of each model's ranking output (probability with a head, else score).
 *   <li>The registry run (params, metrics, lineage tags, the model, {@code
 *       lineage/training-samples.json}), the version, and the decision by {@code promotion.policy}.
 * </ol>
 */
final class RetrainRun {

  private static final Logger LOG = LoggerFactory.getLogger(RetrainRun.class);
  static final String LINEAGE_ARTIFACT = "lineage/training-samples.json";
  static final String LABEL_SNAPSHOT_TAG = "vigil.label_snapshot";
  static final String LINEAGE_TAG = "vigil.lineage_artifact";
  static final String DECISION_TAG = "vigil.retrain.decision";
  static final String LABEL_COUNT_TAG = "vigil.label_count";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final TrainingConfig config;
  private final RegistryClient registry;
  private final ModelEventPublisher events;
  private final Clock clock;

  RetrainRun(TrainingConfig config, RegistryClient registry, ModelEventPublisher events, Clock clock) {
    this.config = requireNonNull(config, "config");
    this.registry = requireNonNull(registry, "registry");
    this.events = requireNonNull(events, "events");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * @param sources where the rows and labels came from, logged as run params (e.g. {@code
   *     features_source}, {@code labels_source})
   * @param progress told after every epoch of the autoencoder (a progress bar)
   */
  RetrainDecision execute(int runNumber, String trigger, Map<String, LabelBook.Label> labels,
      List<FeatureStore.Row> rows, Map<String, String> sources, EpochListener progress) {
    WatchConfig w = config.watch();
    String modelName = config.registry().modelName();
    String actor = w.promotion().actor();
    Optional<ModelVersionInfo> champion = registry.byAlias(modelName, w.promotion().championAlias());
    String championVersion = champion.map(ModelVersionInfo::version).orElse(null);

    // 1. labelled rows of the dominant feature-set version
    Map<String, Integer> versions = new HashMap<>();
    Map<String, FeatureStore.Row> byId = new HashMap<>();
    for (FeatureStore.Row r : rows) {
      byId.put(r.sampleId(), r);
    }
    for (String id : labels.keySet()) {
      FeatureStore.Row r = byId.get(id);
      if (r != null) {
        versions.merge(r.featureSetVersion(), 1, Integer::sum);
      }
    }
    if (versions.isEmpty()) {
      return skipped(runNumber, trigger, championVersion, null, 0,
          "no usable label has known features (" + labels.size() + " labels, " + rows.size() + " vectors)");
    }
    String fsv = versions.entrySet().stream().max(Map.Entry.<String, Integer>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey())).orElseThrow().getKey();
    Comparator<FeatureStore.Row> time = Comparator.comparingLong(FeatureStore.Row::windowEnd)
        .thenComparing(FeatureStore.Row::sampleId);
    List<FeatureStore.Row> all = rows.stream().filter(r -> r.featureSetVersion().equals(fsv)).sorted(time).toList();
    List<FeatureStore.Row> labelled = all.stream().filter(r -> labels.containsKey(r.sampleId())).toList();
    List<LabelBook.Label> used = labelled.stream().map(r -> labels.get(r.sampleId())).toList();
    String snapshot = LabelBook.snapshotId(used);
    if (labelled.size() < w.data().minLabels()) {
      return skipped(runNumber, trigger, championVersion, snapshot, labelled.size(),
          labelled.size() + " usable labels, " + w.data().minLabels() + " needed");
    }

    // 2.-3. the holdout (the latest share of the labels) and the autoencoder rows (Retraining.split)
    long[] times = new long[all.size()];
    Boolean[] answers = new Boolean[all.size()];
    for (int i = 0; i < all.size(); i++) {
      times[i] = all.get(i).windowEnd();
      LabelBook.Label l = labels.get(all.get(i).sampleId());
      answers[i] = l == null ? null : l.anomaly();
    }
    Retraining.Split split = Retraining.split(times, answers, w.data());
    List<FeatureStore.Row> learn = pick(all, split.learn());
    List<FeatureStore.Row> holdout = pick(all, split.holdout());
    List<FeatureStore.Row> unsup = pick(all, split.unsupervised());
    if (split.skipped() != null) {
      return skipped(runNumber, trigger, championVersion, snapshot, labelled.size(), split.skipped());
    }
    List<String> names = all.get(0).names();
    FeatureMatrix allMatrix = matrix(all, names);
    FeatureMatrix unsupMatrix = Retraining.rows(allMatrix, split.unsupervised());
    FeatureMatrix learnMatrix = learn.isEmpty() ? null : Retraining.rows(allMatrix, split.learn());
    FeatureMatrix holdoutMatrix = Retraining.rows(allMatrix, split.holdout());
    boolean[] learnLabels = labelsOf(learn, labels);
    boolean[] holdoutLabels = labelsOf(holdout, labels);

    RunRef run = registry.startRun(registry.experimentId(config.registry().experiment()),
        "retrain-" + runNumber + "-" + snapshot);
    boolean ok = false;
    try {
      Path dir = Path.of(w.workDir()).resolve("run-" + run.runId());
      Path modelDir = dir.resolve("model");
      Map<String, Double> metrics = new LinkedHashMap<>();
      SupervisedHeadTrainer.Result head;
      Retraining.HoldoutMetrics candidateMetrics;
      try (Retraining.Candidate c = Retraining.train(config.model(), config.head(), unsupMatrix, learnMatrix,
          learnLabels, all.get(0).featureSetId(), fsv,
          (e, n, loss) -> {
            registry.logMetric(run.runId(), "train_loss", loss, e);
            progress.onEpoch(e, n, loss);
          })) {
        head = c.head();
        clean(modelDir);
        ModelArtifacts.save(c.artifact(), modelDir);
        ReferenceProfile.of(unsupMatrix, c.trained().validationScores(), fsv, config.profile().bins())
            .write(modelDir.resolve(ReferenceProfile.FILE));
        candidateMetrics = Retraining.evaluate(c.artifact(), holdoutMatrix, holdoutLabels);
        put(candidateMetrics, "", metrics);
        metrics.put("train_seconds", c.trained().seconds());
        metrics.put("threshold", c.artifact().spec().scale().threshold());
      }
      Retraining.HoldoutMetrics championMetrics = null;
      if (champion.isPresent()) {
        championMetrics = evaluateChampion(champion.get(), dir, names, fsv, holdoutMatrix, holdoutLabels);
        if (championMetrics != null) {
          put(championMetrics, "champion_", metrics);
        }
      }
      metrics.put("labels_used", (double) labelled.size());
      metrics.put("labels_holdout", (double) holdout.size());
      metrics.put("head_trained", head.headTrained() ? 1.0 : 0.0);

      // the registry run
      Map<String, String> params = new LinkedHashMap<>();
      params.put("trigger", trigger);
      params.put("feature_set_version", fsv);
      params.put("label_snapshot", snapshot);
      params.put("labels_learn", Integer.toString(learn.size()));
      params.put("labels_holdout", Integer.toString(holdout.size()));
      params.put("unlabelled_rows", Integer.toString(unsup.size()));
      params.put("head_fit_rows", Integer.toString(head.fitRows()));
      params.put("head_calibration_rows", Integer.toString(head.calibrationRows()));
      params.put("promotion_policy", w.promotion().policy());
      params.put("promotion_margin", Double.toString(w.promotion().margin()));
      params.put("champion_version", championVersion == null ? "none" : championVersion);
      params.putAll(sources);
      params.forEach((k, v) -> registry.logParam(run.runId(), k, v));
      metrics.forEach((k, v) -> {
        if (Double.isFinite(v)) {
          registry.logMetric(run.runId(), k, v, 0);
        }
      });
      registry.setRunTag(run.runId(), Registration.FEATURE_SET_TAG, fsv);
      registry.setRunTag(run.runId(), Registration.SNAPSHOT_TAG, snapshot);
      registry.setRunTag(run.runId(), LABEL_SNAPSHOT_TAG, snapshot);
      Path lineage = dir.resolve("training-samples.json");
      writeLineage(lineage, snapshot, fsv, learn, holdout, unsup, labels);
      registry.uploadArtifact(run.runId(), LINEAGE_ARTIFACT, lineage);
      registry.uploadArtifacts(run.runId(), "model", modelDir);

      Map<String, String> tags = new LinkedHashMap<>();
      tags.put("vigil.model_kind", head.headTrained() ? "autoencoder+head" : "autoencoder");
      tags.put(LABEL_SNAPSHOT_TAG, snapshot);
      tags.put(LABEL_COUNT_TAG, Integer.toString(labelled.size()));
      tags.put(LINEAGE_TAG, LINEAGE_ARTIFACT);
      tags.put("vigil.retrain.trigger", trigger);
      ModelVersionInfo version = registry.register(new Registration(modelName, run.runId(), "model", fsv,
          snapshot, unsup.get(0).sampleId() + ".." + unsup.get(unsup.size() - 1).sampleId(),
          "retrained on " + unsup.size() + " rows and " + learn.size() + " labels (" + trigger + ")", tags, actor));

      // the champion may have moved while this run trained (a reviewer's approval, the watcher and a
      // one-off archive run in parallel): the candidate is then compared with the champion as it is
      // now, so that it never replaces a model it was not compared with. What remains unguarded is
      // the moment between this read and the alias move below (the registry has no compare-and-set).
      String movedFrom = null;
      Optional<ModelVersionInfo> championNow = registry.byAlias(modelName, w.promotion().championAlias());
      String championNowVersion = championNow.map(ModelVersionInfo::version).orElse(null);
      if (!java.util.Objects.equals(championNowVersion, championVersion)) {
        LOG.info("retrain run={}: the champion moved from v{} to v{} during the run; comparing with v{}",
            runNumber, championVersion, championNowVersion, championNowVersion);
        movedFrom = championVersion == null ? "none" : "v" + championVersion;
        championVersion = championNowVersion;
        metrics.remove("champion_holdout_f1");
        metrics.remove("champion_holdout_pr_auc");
        championMetrics = championNow.isEmpty() ? null
            : evaluateChampion(championNow.get(), dir, names, fsv, holdoutMatrix, holdoutLabels);
        if (championMetrics != null) {
          put(championMetrics, "champion_", metrics);
          metrics.forEach((k, v) -> {
            if (k.startsWith("champion_") && Double.isFinite(v)) {
              registry.logMetric(run.runId(), k, v, 0);
            }
          });
        }
        registry.setRunTag(run.runId(), "vigil.retrain.champion_moved",
            movedFrom + " -> " + (championVersion == null ? "none" : "v" + championVersion));
      }

      // the decision
      // F1 at each model's own threshold decides; when it cannot tell them apart (within the margin,
      // e.g. a hold-out without a flagged anomaly), the ranking does: PR-AUC, by the same margin
      double margin = w.promotion().margin();
      long holdoutAnomalies = candidateMetrics.anomalies();
      boolean comparable = championMetrics == null || holdoutAnomalies > 0;
      boolean tie = championMetrics != null && Math.abs(candidateMetrics.f1() - championMetrics.f1()) < margin;
      boolean better = Retraining.better(candidateMetrics, championMetrics, margin);
      double cand = candidateMetrics.f1();
      Double champ = championMetrics == null ? null : championMetrics.f1();
      Double candAuc = candidateMetrics.prAuc();
      Double champAuc = championMetrics == null ? null : championMetrics.prAuc();
      String compared = String.format(java.util.Locale.ROOT, "holdout F1 %.4f vs champion %s (margin %.3f; %d"
          + " holdout labels, %d anomalies)", cand, champ == null ? (championVersion == null ? "none" : "v"
          + championVersion + " not comparable") : String.format(java.util.Locale.ROOT, "v%s %.4f",
          championVersion, champ), margin, holdout.size(), holdoutAnomalies)
          + (comparable ? "" : "; inconclusive: no anomaly among the holdout labels")
          + (comparable && tie && candAuc != null && champAuc != null ? String.format(java.util.Locale.ROOT,
              "; F1 tied, PR-AUC %.4f vs %.4f", candAuc, champAuc) : "")
          + (movedFrom == null ? "" : "; the champion moved from " + movedFrom + " during the run");
      RetrainDecision.Outcome outcome;
      String reason;
      if (!better) {
        outcome = RetrainDecision.Outcome.KEPT;
        reason = "champion kept: " + compared;
        publish(version, ModelEventType.OTHER, null, championVersion, metrics, reason);
      } else if (w.promotion().auto()) {
        outcome = RetrainDecision.Outcome.PROMOTED;
        reason = "promoted: " + compared;
        registry.setAlias(modelName, w.promotion().championAlias(), version.version(), actor, reason);
        publish(version, ModelEventType.PROMOTED, w.promotion().championAlias(), championVersion, metrics, reason);
      } else {
        outcome = RetrainDecision.Outcome.PROPOSED;
        reason = "promotion proposed for review: " + compared;
        registry.setAlias(modelName, w.promotion().challengerAlias(), version.version(), actor, reason);
        publish(version, ModelEventType.PROMOTION_PROPOSED, w.promotion().challengerAlias(), championVersion,
            metrics, reason);
      }
      registry.setRunTag(run.runId(), DECISION_TAG, outcome.name());
      registry.setRunTag(run.runId(), "vigil.retrain.reason", reason);
      ok = true;
      LOG.info("retrain run={} trigger={} version={} decision={} snapshot={} reason={}", runNumber, trigger,
          version.version(), outcome, snapshot, reason);
      return new RetrainDecision(runNumber, trigger, outcome, version.version(), championVersion, snapshot,
          labelled.size(), finite(metrics), reason, clock.instant());
    } finally {
      registry.finishRun(run.runId(), ok);
    }
  }

  /** The champion on the holdout, or null when it is not comparable (other feature set or inputs). */
  private Retraining.HoldoutMetrics evaluateChampion(ModelVersionInfo champion, Path dir, List<String> names,
      String fsv, FeatureMatrix holdout, boolean[] labels) {
    if (!fsv.equals(champion.tags().get(Registration.FEATURE_SET_TAG))) {
      LOG.info("champion v{} has feature set {}, the candidate {}: not comparable", champion.version(),
          champion.tags().get(Registration.FEATURE_SET_TAG), fsv);
      return null;
    }
    Path target = dir.resolve("champion-v" + champion.version());
    deleteTree(target);
    DownloadedModel d = registry.download(champion.name(), champion.version(), target);
    try (ModelArtifact m = ModelArtifacts.load(d.directory())) {
      if (!m.spec().inputs().featureNames().equals(names)) {
        LOG.info("champion v{} takes other input columns: not comparable", champion.version());
        return null;
      }
      return Retraining.evaluate(m, holdout, labels);
    } finally {
      deleteTree(target);
    }
  }

  private static void put(Retraining.HoldoutMetrics m, String prefix, Map<String, Double> metrics) {
    metrics.put(prefix + "holdout_f1", m.f1());
    metrics.put(prefix + "holdout_pr_auc", m.prAuc());
  }

  private void publish(ModelVersionInfo v, ModelEventType type, String alias, String previous,
      Map<String, Double> metrics, String reason) {
    events.publish(ModelEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setModelName(v.name())
        .setModelVersion(v.version()).setType(type).setAlias(alias).setPreviousVersion(previous)
        .setMetrics(finite(metrics)).setActor(config.watch().promotion().actor()).setReason(reason)
        .setSource(v.source()).setEventTime(clock.instant()).build());
  }

  private RetrainDecision skipped(int run, String trigger, String champion, String snapshot, int labels,
      String why) {
    String reason = "skipped: " + why;
    LOG.info("retrain run={} trigger={} {}", run, trigger, reason);
    // recorded like every other decision: a registry run without a model, with the reason
    try {
      RunRef r = registry.startRun(registry.experimentId(config.registry().experiment()),
          "retrain-" + run + "-skipped");
      registry.logParam(r.runId(), "trigger", trigger);
      registry.logParam(r.runId(), "champion_version", champion == null ? "none" : champion);
      registry.logMetric(r.runId(), "labels_used", labels, 0);
      if (snapshot != null) {
        registry.setRunTag(r.runId(), LABEL_SNAPSHOT_TAG, snapshot);
      }
      registry.setRunTag(r.runId(), DECISION_TAG, RetrainDecision.Outcome.SKIPPED.name());
      registry.setRunTag(r.runId(), "vigil.retrain.reason", reason);
      registry.finishRun(r.runId(), true);
    } catch (RuntimeException e) {
      LOG.warn("retrain run={}: the skipped decision could not be recorded in the registry: {}", run, e.toString());
    }
    return new RetrainDecision(run, trigger, RetrainDecision.Outcome.SKIPPED, null, champion, snapshot, labels,
        Map.of(), reason, clock.instant());
  }

  private static List<FeatureStore.Row> pick(List<FeatureStore.Row> rows, int[] idx) {
    List<FeatureStore.Row> out = new ArrayList<>(idx.length);
    for (int i : idx) {
      out.add(rows.get(i));
    }
    return out;
  }

  private static boolean[] labelsOf(List<FeatureStore.Row> rows, Map<String, LabelBook.Label> labels) {
    boolean[] out = new boolean[rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = labels.get(rows.get(i).sampleId()).anomaly();
    }
    return out;
  }

  private static FeatureMatrix matrix(List<FeatureStore.Row> rows, List<String> names) {
    int cols = names.size();
    float[] v = new float[rows.size() * cols];
    long[] seq = new long[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i).values(), 0, v, i * cols, cols);
      seq[i] = rows.get(i).windowEnd();
    }
    return new FeatureMatrix(v, rows.size(), cols, seq, names);
  }

  private static Map<String, Double> finite(Map<String, Double> m) {
    Map<String, Double> out = new LinkedHashMap<>();
    m.forEach((k, v) -> {
      if (v != null && Double.isFinite(v)) {
        out.put(k, v);
      }
    });
    return out;
  }

  private static void writeLineage(Path file, String snapshot, String fsv, List<FeatureStore.Row> learn,
      List<FeatureStore.Row> holdout, List<FeatureStore.Row> unsup, Map<String, LabelBook.Label> labels) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("labelSnapshot", snapshot);
    doc.put("featureSetVersion", fsv);
    doc.put("labelled", labelledEntries(learn, labels));
    doc.put("holdout", labelledEntries(holdout, labels));
    List<String> ids = new ArrayList<>(unsup.size());
    unsup.forEach(r -> ids.add(r.sampleId()));
    doc.put("unlabelled", ids);
    try {
      Files.createDirectories(file.getParent());
      JSON.writeValue(file.toFile(), doc);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static List<Map<String, Object>> labelledEntries(List<FeatureStore.Row> rows,
      Map<String, LabelBook.Label> labels) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (FeatureStore.Row r : rows) {
      LabelBook.Label l = labels.get(r.sampleId());
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("sampleId", r.sampleId());
      e.put("label", l.anomaly() ? "ANOMALY" : "NORMAL");
      e.put("eventId", l.eventId());
      out.add(e);
    }
    return out;
  }

  private static void clean(Path dir) {
    deleteTree(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
