package io.vigil.training.watch;

import static java.util.Objects.requireNonNull;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Split;
import io.vigil.features.OfflineFeatures;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import io.vigil.schemas.FeatureVector;
import io.vigil.training.EpochListener;
import io.vigil.training.FeatureSets;
import io.vigil.training.TrainingConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One run of the retrain watcher's rules and code ({@link RetrainRun}) on data given at once instead
 * of followed on Kafka: the latest labels are the holdout, the autoencoder learns from the rows before
 * it that are not labelled anomalous, the head and threshold from the labels before it; the candidate
 * is registered with its label snapshot and lineage, compared with {@code champion} on the holdout, and
 * promoted, proposed or not per {@code watch.promotion}.
 *
 * <ul>
 *   <li>{@link #onArchive} ({@code vigil train --archive}): what the running system recorded — the
 *       feature job's offline archive (S3 or files), which reaches back as far as it was kept (the
 *       watcher's store holds only the latest vectors the features topic still has), and the labels
 *       from the labels topic or the label store;
 *   <li>{@link #onDirectory} ({@code vigil train --data DIR --labels files}): a data directory through
 *       the shared feature library, training and test splits in time order, with the label files'
 *       labels of the test split.
 * </ul>
 *
 * <p>The newest {@code maxRows} vectors are kept (oldest dropped first, counted).
 */
public final class OneOffRun {

  /**
   * @param archive what the archive read saw, null for a data directory
   * @param vectors vectors read
   * @param rows vectors kept for the run
   * @param dropped vectors dropped: beyond {@code maxRows} (oldest first), or without names the run
   *     can resolve
   * @param labels usable labels the source had
   * @param labelsWithFeatures labels whose sample has a kept vector
   */
  public record Result(FeatureArchive.Stats archive, long vectors, int rows, long dropped, int labels,
      int labelsWithFeatures, RetrainDecision decision) {}

  private OneOffRun() {}

  /**
   * @param since null = from the archive's start
   * @param until null = to its end
   */
  public static Result onArchive(TrainingConfig config, RegistryClient registry, ModelEventPublisher events,
      FeatureArchive archive, Instant since, Instant until, int maxRows, TrainingLabels labels, EpochListener progress,
      Clock clock) {
    requireNonNull(archive, "archive");
    requireNonNull(labels, "labels");
    FeatureStore store = store(maxRows);
    FeatureArchive.Stats stats = archive.read(since, until, store::put);
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("features_source", "archive " + archive.location());
    sources.put("features_range", (since == null ? "-" : since.toString()) + ".." + (until == null ? "-"
        : until.toString()));
    sources.put("labels_source", labels.source());
    return run(config, registry, events, store, stats, stats.vectors(), labels.bySample(), sources, progress, clock);
  }

  /** @param entities only these (empty = all) */
  public static Result onDirectory(TrainingConfig config, RegistryClient registry, ModelEventPublisher events,
      Path data, Set<String> entities, int maxRows, EpochListener progress, Clock clock) {
    Dataset all = Dataset.open(data, DatasetOptions.defaults().withEntities(entities).withSplit(Split.ALL));
    FeatureStore store = store(maxRows);
    Map<String, LabelBook.Label> labels = new TreeMap<>();
    long vectors = 0;
    for (EntitySeries s : all.entities()) {
      Iterator<FeatureVector> it = new OfflineFeatures(FeatureSets.forMetrics(all.format(), s.metricNames()), true)
          .vectors(s);
      while (it.hasNext()) {
        FeatureVector v = it.next();
        vectors++;
        store.put(v);
        Boolean l = s.label(v.getSequence());
        if (l != null) {
          labels.put(v.getSampleId(), new LabelBook.Label(v.getSampleId(), l, "file:" + v.getSampleId(), 0));
        }
      }
    }
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("features_source", "data " + data);
    sources.put("labels_source", "label files of " + data);
    return run(config, registry, events, store, null, vectors, labels, sources, progress, clock);
  }

  private static FeatureStore store(int maxRows) {
    if (maxRows < 1) {
      throw new IllegalArgumentException("maxRows must be positive");
    }
    return new FeatureStore(maxRows);
  }

  private static Result run(TrainingConfig config, RegistryClient registry, ModelEventPublisher events,
      FeatureStore store, FeatureArchive.Stats stats, long vectors, Map<String, LabelBook.Label> labels,
      Map<String, String> sources, EpochListener progress, Clock clock) {
    Map<String, LabelBook.Label> usable = new TreeMap<>(labels);
    usable.keySet().removeIf(id -> store.get(id) == null);
    RetrainDecision d = new RetrainRun(config, registry, events, clock).execute(1, "manual", usable,
        store.snapshot(), sources, requireNonNull(progress, "progress"));
    return new Result(stats, vectors, store.size(), store.evicted() + store.unusable(), labels.size(),
        usable.size(), d);
  }
}
