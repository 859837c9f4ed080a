package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import ai.djl.translate.TranslateException;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelFormatException;
import io.vigil.model.ScoreBatch;
import io.vigil.registry.client.ArtifactIntegrityException;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RegistryException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the served versions in step with the registry: the primary (the configured alias, or a
 * pinned version) and, optionally, a shadow (e.g. the challenger alias).
 *
 * <p>{@link #refresh()} resolves what each role should serve; when that differs from what is
 * loaded it downloads the new version (the registry client verifies its checksum), loads it beside
 * the old one, warms it up, switches the reference atomically, lets the old one drain its
 * in-flight requests and only then unloads it. If the new version fails anywhere on that path, the
 * old one keeps serving, the failure is logged, counted and reported ({@link #lastFailure()}), and
 * that version is not retried until the alias moves elsewhere.
 */
public final class ModelManager implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelManager.class);

  /** What a loaded version is used for. */
  public enum Role {
    /** Answers requests. */
    PRIMARY,
    /** Scores the same inputs; logged, never returned. */
    SHADOW;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A version that could not be loaded and why (the reason is for operators, not callers). */
  public record LoadFailure(Role role, String name, String version, String reason, Instant at) {}

  /** Told about changes, e.g. to flip gRPC health. */
  public interface Listener {
    void serving(Role role, ModelId id);

    void loadFailed(LoadFailure failure);

    Listener NONE = new Listener() {
      @Override
      public void serving(Role role, ModelId id) {}

      @Override
      public void loadFailed(LoadFailure failure) {}
    };
  }

  private final ServingConfig.ModelSelection selection;
  private final DynamicBatcher.Settings batching;
  private final ModelSource source;
  private final ServingMetrics metrics;
  private final Listener listener;
  private final Clock clock;
  private final Map<Role, AtomicReference<LoadedModel>> slots = new EnumMap<>(Role.class);
  private final Map<Role, String> refused = new EnumMap<>(Role.class);
  private final AtomicReference<LoadFailure> lastFailure = new AtomicReference<>();
  private final ExecutorService refresher;
  private final AtomicBoolean refreshQueued = new AtomicBoolean();
  private volatile boolean closed;

  public ModelManager(ServingConfig.ModelSelection selection, DynamicBatcher.Settings batching,
      ModelSource source, ServingMetrics metrics, Listener listener, Clock clock) {
    this.selection = requireNonNull(selection, "selection");
    this.batching = requireNonNull(batching, "batching");
    this.source = requireNonNull(source, "source");
    this.metrics = requireNonNull(metrics, "metrics");
    this.listener = requireNonNull(listener, "listener");
    this.clock = requireNonNull(clock, "clock");
    for (Role r : Role.values()) {
      slots.put(r, new AtomicReference<>());
    }
    this.refresher = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "model-refresh");
      t.setDaemon(true);
      return t;
    });
  }

  public String modelName() {
    return selection.name();
  }

  public Optional<LoadedModel> current(Role role) {
    return Optional.ofNullable(slots.get(role).get());
  }

  public Optional<LoadFailure> lastFailure() {
    return Optional.ofNullable(lastFailure.get());
  }

  /** Refreshes on the background thread; calls made while one is queued fold into it. */
  public void requestRefresh() {
    if (closed || !refreshQueued.compareAndSet(false, true)) {
      return;
    }
    refresher.execute(() -> {
      refreshQueued.set(false);
      try {
        refresh();
      } catch (RuntimeException e) {
        LOG.error("model refresh failed model={}", selection.name(), e);
      }
    });
  }

  /** Brings every role to the version it should serve now. Serialised; safe to call any time. */
  public synchronized void refresh() {
    if (closed) {
      return;
    }
    refreshRole(Role.PRIMARY);
    if (selection.shadowAlias() != null) {
      refreshRole(Role.SHADOW);
    }
  }

  private void refreshRole(Role role) {
    String alias = role == Role.PRIMARY ? selection.alias() : selection.shadowAlias();
    Optional<ModelVersionInfo> target;
    try {
      if (role == Role.PRIMARY && selection.version() != null) {
        target = Optional.of(source.version(selection.name(), selection.version()));
        alias = null;
      } else {
        target = source.byAlias(selection.name(), alias);
      }
    } catch (RegistryException e) {
      LOG.warn("cannot resolve model={} role={} alias={}: {}; keeping what is loaded",
          selection.name(), role.label(), alias, e.getMessage());
      return;
    }
    AtomicReference<LoadedModel> slot = slots.get(role);
    LoadedModel current = slot.get();
    if (target.isEmpty()) {
      if (current != null && role == Role.SHADOW) {
        LOG.info("alias {} of model {} removed; unloading shadow {}", alias, selection.name(), current.id());
        slot.set(null);
        metrics.serving(role.label(), current.id(), null);
        unload(current);
      } else if (current == null) {
        LOG.info("model={} alias={} is not set yet; nothing to load for role={}", selection.name(),
            alias, role.label());
      }
      return;
    }
    String version = target.get().version();
    if (current != null && current.id().version().equals(version)) {
      return;
    }
    if (version.equals(refused.get(role))) {
      return;
    }
    ModelId id = new ModelId(selection.name(), version, alias);
    Optional<LoadedModel> loaded = load(role, id);
    if (loaded.isEmpty()) {
      return;
    }
    refused.remove(role);
    LoadedModel previous = slot.getAndSet(loaded.get());
    metrics.serving(role.label(), previous == null ? null : previous.id(), id);
    LOG.info("now serving role={} model={} previous={}", role.label(), id,
        previous == null ? "none" : previous.id());
    listener.serving(role, id);
    if (previous != null) {
      unload(previous);
    }
  }

  private Optional<LoadedModel> load(Role role, ModelId id) {
    long t0 = System.nanoTime();
    Path dir = Path.of(selection.workDir()).toAbsolutePath()
        .resolve(id.name()).resolve("v" + id.version() + "-" + UUID.randomUUID().toString().substring(0, 8));
    ModelArtifact artifact = null;
    DynamicBatcher batcher = null;
    try {
      source.download(id.name(), id.version(), dir);
      artifact = ModelArtifacts.load(dir);
      ModelArtifact a = artifact;
      batcher = new DynamicBatcher(id.name() + "-v" + id.version(), batching, a.spec().inputSize(),
          a::newPredictor, metrics.batcherListener(role.label()));
      warmUp(batcher, a.spec().inputSize());
      metrics.modelLoad(role.label(), true);
      LOG.info("loaded role={} model={} in {} ms", role.label(), id, (System.nanoTime() - t0) / 1_000_000);
      return Optional.of(new LoadedModel(id, a, batcher, dir));
    } catch (ArtifactIntegrityException | ModelFormatException | TranslateException
        | IllegalArgumentException | IllegalStateException e) {
      fail(role, id, e.getMessage(), e, true);
    } catch (RegistryException | UncheckedIOException e) {
      // the registry or the store could not be reached: retried at the next refresh
      fail(role, id, e.getMessage(), e, false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail(role, id, "interrupted while loading", e, false);
    } catch (RuntimeException e) {
      // the engine reports native failures as plain runtime exceptions
      fail(role, id, e.toString(), e, true);
    }
    if (batcher != null) {
      batcher.close(Duration.ofSeconds(1));
    }
    if (artifact != null) {
      artifact.close();
    }
    RegistryClient.deleteDownload(dir);
    return Optional.empty();
  }

  private void warmUp(DynamicBatcher batcher, int cols) throws TranslateException, InterruptedException {
    Random random = new Random(17);
    int rows = Math.min(8, batching.maxBatchSize());
    for (int i = 0; i < selection.warmupBatches(); i++) {
      float[] v = new float[rows * cols];
      for (int j = 0; j < v.length; j++) {
        v[j] = (float) random.nextGaussian();
      }
      ScoreBatch out = batcher.scoreNow(new FeatureBatch(v, rows, cols));
      for (float s : out.scores()) {
        if (!Float.isFinite(s)) {
          throw new IllegalStateException("warm-up gave a non-finite score");
        }
      }
    }
  }

  /** @param permanent the version itself is bad: not tried again until the alias moves elsewhere */
  private void fail(Role role, ModelId id, String reason, Exception e, boolean permanent) {
    metrics.modelLoad(role.label(), false);
    LoadFailure f = new LoadFailure(role, id.name(), id.version(), reason, clock.instant());
    lastFailure.set(f);
    if (permanent) {
      refused.put(role, id.version());
    }
    LoadedModel current = slots.get(role).get();
    String still = current == null ? "nothing" : current.id().toString();
    if (e instanceof RegistryException || e instanceof ModelFormatException) {
      LOG.error("cannot load role={} model={}: {}; still serving {}", role.label(), id, reason, still);
    } else {
      LOG.error("cannot load role={} model={}: {}; still serving {}", role.label(), id, reason, still, e);
    }
    listener.loadFailed(f);
  }

  private void unload(LoadedModel old) {
    boolean drained = old.retire(Duration.ofSeconds(selection.drainTimeoutSeconds()));
    if (!drained) {
      LOG.warn("model {} still had requests in flight after {} s; unloaded anyway", old.id(),
          selection.drainTimeoutSeconds());
    }
    if (old.directory() != null) {
      RegistryClient.deleteDownload(old.directory());
    }
    LOG.info("unloaded model={}", old.id());
  }

  @Override
  public void close() {
    closed = true;
    refresher.shutdown();
    try {
      if (!refresher.awaitTermination(30, TimeUnit.SECONDS)) {
        refresher.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      refresher.shutdownNow();
    }
    synchronized (this) {
      for (AtomicReference<LoadedModel> slot : slots.values()) {
        LoadedModel m = slot.getAndSet(null);
        if (m != null) {
          unload(m);
        }
      }
    }
  }
}
