package io.vigil.training.watch;

import static java.util.Objects.requireNonNull;

import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import io.vigil.training.TrainingConfig;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code vigil train --archive}: one training run on what the running system recorded — the feature
 * job's offline archive (S3 or files) for the vectors, the labels topic or the label store for the
 * answers — with the retrain watcher's rules and code ({@link RetrainRun}): the latest labels are the
 * holdout, the autoencoder learns from the rows before it that are not labelled anomalous, the head
 * and threshold from the labels before it; the candidate is registered with its label snapshot and
 * lineage, compared with {@code champion} on the holdout, and promoted, proposed or not per {@code
 * watch.promotion}.
 *
 * <p>The archive reaches back as far as it was kept, where the watcher's store holds only the latest
 * {@code watch.data.maxStoredFeatures} vectors the features topic still has; here the newest
 * {@code maxRows} vectors of the requested range are kept (oldest dropped first, counted).
 */
public final class ArchiveTraining {

  /**
   * @param archive what the archive read saw
   * @param rows vectors kept for the run
   * @param dropped vectors dropped: beyond {@code maxRows} (oldest first), or without names the run
   *     can resolve
   * @param labelsWithFeatures labels whose sample has a vector in the range
   */
  public record Result(FeatureArchive.Stats archive, int rows, long dropped, int labels, int labelsWithFeatures,
      RetrainDecision decision) {}

  private ArchiveTraining() {}

  public static Result run(TrainingConfig config, RegistryClient registry, ModelEventPublisher events,
      FeatureArchive archive, Instant since, Instant until, int maxRows, TrainingLabels labels, Clock clock) {
    requireNonNull(archive, "archive");
    requireNonNull(labels, "labels");
    if (maxRows < 1) {
      throw new IllegalArgumentException("maxRows must be positive");
    }
    FeatureStore store = new FeatureStore(maxRows);
    FeatureArchive.Stats stats = archive.read(since, until, store::put);
    Map<String, LabelBook.Label> usable = new TreeMap<>(labels.bySample());
    usable.keySet().removeIf(id -> store.get(id) == null);
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("features_source", "archive " + archive.location());
    sources.put("features_range", (since == null ? "-" : since.toString()) + ".." + (until == null ? "-"
        : until.toString()));
    sources.put("labels_source", labels.source());
    RetrainDecision d = new RetrainRun(config, registry, events, clock).execute(1, "manual", usable,
        store.snapshot(), sources);
    return new Result(stats, store.size(), store.evicted() + store.unusable(), labels.size(), usable.size(), d);
  }
}
