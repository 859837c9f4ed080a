package io.vigil.cli.loop;

import static java.util.Objects.requireNonNull;

import io.vigil.cli.KafkaClients;
import io.vigil.cli.VigilConfig;
import io.vigil.cli.replay.Replayer;
import io.vigil.cli.up.LocalStack;
import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ScoreBatch;
import io.vigil.registry.client.RegistryClient;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.Incidents;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.topics.VigilTopic;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.serving.LoadedModel;
import io.vigil.serving.ModelManager;
import io.vigil.training.Scorer;
import io.vigil.training.watch.RetrainDecision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole loop driven once, for the end-to-end test and {@code vigil bench loop}: start every
 * part, let the simulated annotator answer label requests while the first part of the data streams
 * in, wait until a retrain is promoted and serving answers with the new version, stream the rest,
 * and measure — time to ready, label-to-serving latency, failed requests, and the F1 of the new
 * version's live predictions against the old version's on the same windows.
 */
public final class LoopRun implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LoopRun.class);

  /** Windows at the end of a replay that may stay open (watermark bound plus the last sample). */
  static final long OPEN_TAIL = 5;

  /**
   * @param data the data directory (its unlabelled part trains the bootstrap model)
   * @param splitSequence rows below this sequence stream before the swap, the rest after it
   * @param swapTimeout how long to wait for a promoted retrain to be served
   * @param drainTimeout how long to wait for the last predictions
   */
  public record Settings(Path data, long splitSequence, Duration swapTimeout, Duration drainTimeout) {
    public Settings {
      requireNonNull(data, "data");
      requireNonNull(swapTimeout, "swapTimeout");
      requireNonNull(drainTimeout, "drainTimeout");
    }
  }

  /** F1 at the operating threshold over labelled windows. */
  public record F1(long windows, long anomalies, long flagged, long truePositives) {
    public double f1() {
      double p = flagged == 0 ? 0 : (double) truePositives / flagged;
      double r = anomalies == 0 ? 0 : (double) truePositives / anomalies;
      return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }
  }

  /** What a run measured. */
  public record Result(double upReadySeconds, String firstVersion, String newVersion, double labelToServingSeconds,
      long labelRequests, long labels, long labelEvents, long predictions, F1 before, F1 afterNew, F1 afterOld,
      double failedRequests, List<RetrainDecision> decisions) {}

  private final VigilConfig config;
  private final Settings settings;
  private final List<RetrainDecision> decisions = new ArrayList<>();
  private LocalStack stack;
  private SimulatedAnnotator annotator;
  private LoopCounters counters;

  public LoopRun(VigilConfig config, Settings settings) {
    this.config = requireNonNull(config, "config");
    this.settings = requireNonNull(settings, "settings");
  }

  public Result run() throws InterruptedException, TimeoutException {
    long t0 = System.nanoTime();
    stack = LocalStack.start(config, settings.data());
    double ready = (System.nanoTime() - t0) / 1e9;
    String first = champion().orElseThrow(() -> new IllegalStateException("no champion after start"));
    counters = new LoopCounters(stack.bootstrapServers(), config.topicNames()).start();
    annotator = new SimulatedAnnotator(java.net.URI.create(stack.labelingUrl()), "annotator",
        stack.annotatorPassword(), GroundTruth.read(settings.data()), 0,
        Duration.ofMillis(config.loop().annotatorPauseMillis()), 42).start();

    Dataset dataset = Dataset.open(settings.data(), DatasetOptions.defaults());
    replay(dataset, 0, settings.splitSequence());

    // the first run that promotes: note when it started (the label that triggered it came just before)
    long deadline = System.nanoTime() + settings.swapTimeout().toNanos();
    int runsSeen = stack.watcher().status().runs();
    long lastLabelNanos = 0;
    long lastLabels = annotator.labelled();
    long triggerLabelNanos = 0;
    String promoted = null;
    while (promoted == null) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("no retrain was promoted within " + settings.swapTimeout() + ": "
            + stack.watcher().status() + ", labels " + annotator.labelled() + ", requests "
            + counters.count(VigilTopic.LABEL_REQUESTS));
      }
      long labelsNow = annotator.labelled();
      if (labelsNow != lastLabels) {
        lastLabels = labelsNow;
        lastLabelNanos = System.nanoTime();
      }
      var status = stack.watcher().status();
      if (status.runs() > runsSeen) {
        runsSeen = status.runs();
        triggerLabelNanos = lastLabelNanos;
      }
      RetrainDecision d = status.lastDecision();
      if (d != null && (decisions.isEmpty() || decisions.get(decisions.size() - 1).run() != d.run())) {
        decisions.add(d);
        LOG.info("loop: retrain run {} -> {} ({})", d.run(), d.outcome(), d.reason());
        if (d.outcome() == RetrainDecision.Outcome.PROMOTED) {
          promoted = d.version();
        }
      }
      Thread.sleep(50);
    }
    final String target = promoted;
    await(() -> servedVersion().map(target::equals).orElse(false), deadline, "serving to swap to v" + target);
    double labelToServing = (System.nanoTime() - triggerLabelNanos) / 1e9;

    replay(dataset, settings.splitSequence(), Long.MAX_VALUE);
    // the feature job holds the newest samples until the watermark passes them, and a stream that
    // stopped does not move it: the last few windows of the replay stay open
    long expected = expectedFeatures(dataset) - OPEN_TAIL;
    long drainBy = System.nanoTime() + settings.drainTimeout().toNanos();
    await(() -> counters.count(VigilTopic.PREDICTIONS) >= expected, drainBy,
        "predictions for " + expected + " windows (have " + counters.count(VigilTopic.PREDICTIONS) + ")");

    List<Prediction> predictions = new ArrayList<>();
    AvroSerde<Prediction> serde = AvroSerde.of(Prediction.class);
    try (TopicReader reader = new TopicReader(stack.bootstrapServers())) {
      reader.readAll(config.topicNames().name(VigilTopic.PREDICTIONS), r -> predictions.add(serde.decode(r.value())));
    }
    GroundTruth truth = GroundTruth.read(settings.data());
    long splitMillis = splitTime(dataset);
    F1 before = f1(predictions, truth, first::equals, Long.MIN_VALUE, splitMillis);
    // after the swap the stream may have been served by later promotions too: every version but the first
    F1 afterNew = f1(predictions, truth, v -> !v.equals(first), splitMillis, Long.MAX_VALUE);
    F1 afterOld = rescore(first, truth, predictions, splitMillis);
    double failed = failedRequests();
    // every acknowledged label reaches Kafka: stop the annotator, then give the outbox relay time to
    // publish the last ones (it publishes after the label's transaction, asynchronously)
    annotator.close();
    long labelled = annotator.labelled();
    await(() -> counters.count(VigilTopic.LABELS) >= labelled, System.nanoTime() + Duration.ofSeconds(30).toNanos(),
        "the labeling service to publish all " + labelled + " acknowledged labels (have "
            + counters.count(VigilTopic.LABELS) + ")");
    return new Result(ready, first, target, labelToServing, counters.count(VigilTopic.LABEL_REQUESTS),
        labelled, counters.count(VigilTopic.LABELS), predictions.size(), before, afterNew, afterOld, failed, List.copyOf(decisions));
  }

  public LocalStack stack() {
    return stack;
  }

  private void replay(Dataset dataset, long from, long until) {
    try (KafkaProducer<String, byte[]> producer = KafkaClients.producer(stack.bootstrapServers(), "vigil-loop-replay")) {
      new Replayer(producer, config.topicNames().name(VigilTopic.TELEMETRY))
          .replay(dataset, new Replayer.Options(0, from, until), Replayer.Progress.NONE);
    }
  }

  /** One feature vector per row (the feature job emits one per sample). */
  private static long expectedFeatures(Dataset dataset) {
    long n = 0;
    for (var s : dataset.entities()) {
      n += s.validate();
    }
    return n;
  }

  private long splitTime(Dataset dataset) {
    var it = dataset.entities().get(0).rows();
    while (it.hasNext()) {
      var row = it.next();
      if (row.sequence() == settings.splitSequence()) {
        return row.time().toEpochMilli();
      }
    }
    throw new IllegalStateException("the data has no row " + settings.splitSequence());
  }

  private Optional<String> champion() {
    return stack.registryClient().byAlias(config.loop().modelName(), "champion").map(v -> v.version());
  }

  private Optional<String> servedVersion() {
    return stack.serving().models().current(ModelManager.Role.PRIMARY).map(LoadedModel::id).map(id -> id.version());
  }

  private double failedRequests() {
    double failed = 0;
    for (String code : List.of("UNAVAILABLE", "INTERNAL", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "UNKNOWN",
        "NOT_FOUND", "CANCELLED")) {
      failed += stack.serving().metrics().requests("ModelInfer", code);
    }
    return failed;
  }

  /**
   * F1 of the live (not shadow) predictions of the versions chosen, on labelled windows ending in [from,
   * until), by each version's own flag ({@link Incidents#modelFlag}), as the old version is re-scored.
   */
  static F1 f1(List<Prediction> predictions, GroundTruth truth, java.util.function.Predicate<String> version,
      long from, long until) {
    long n = 0, anomalies = 0, flagged = 0, tp = 0;
    for (Prediction p : predictions) {
      long end = p.getWindowEnd().toEpochMilli();
      if (p.getShadow() || !version.test(p.getModelVersion().toString()) || end < from || end >= until) {
        continue;
      }
      GroundTruth.Answer a = truth.answer(p.getEntity().toString(), end);
      if (a == null || !a.labelled()) {
        continue;
      }
      boolean flag = Incidents.modelFlag(p); // the version's own answer, not an open incident's flag
      n++;
      anomalies += a.anomaly() ? 1 : 0;
      flagged += flag ? 1 : 0;
      tp += a.anomaly() && flag ? 1 : 0;
    }
    return new F1(n, anomalies, flagged, tp);
  }

  /** The old version's answers on the windows newer versions scored live: the same model files, run here. */
  private F1 rescore(String oldVersion, GroundTruth truth, List<Prediction> predictions, long splitMillis) {
    Map<String, Prediction> live = new HashMap<>();
    for (Prediction p : predictions) {
      if (!p.getShadow() && !oldVersion.equals(p.getModelVersion().toString())
          && p.getWindowEnd().toEpochMilli() >= splitMillis) {
        live.put(p.getSampleId().toString(), p);
      }
    }
    List<FeatureVector> vectors = new ArrayList<>();
    AvroSerde<FeatureVector> serde = AvroSerde.of(FeatureVector.class);
    try (TopicReader reader = new TopicReader(stack.bootstrapServers())) {
      reader.readAll(config.topicNames().name(VigilTopic.FEATURES), r -> {
        FeatureVector f = serde.decode(r.value());
        if (live.containsKey(f.getSampleId().toString())) {
          vectors.add(f);
        }
      });
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("vigil-loop-old-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RegistryClient registry = stack.registryClient();
    registry.download(config.loop().modelName(), oldVersion, dir.resolve("model"));
    ModelArtifact artifact = ModelArtifacts.load(dir.resolve("model"));
    double threshold = artifact.spec().scale().threshold();
    long n = 0, anomalies = 0, flagged = 0, tp = 0;
    try (Scorer scorer = new Scorer(artifact)) {
      for (FeatureVector f : vectors) {
        GroundTruth.Answer a = truth.answer(f.getEntity().toString(), f.getWindowEnd().toEpochMilli());
        if (a == null || !a.labelled()) {
          continue;
        }
        float[] x = new float[f.getValues().size()];
        for (int i = 0; i < x.length; i++) {
          x[i] = f.getValues().get(i).floatValue();
        }
        ScoreBatch b = scorer.score(x, 1);
        boolean flag = b.scores()[0] >= threshold;
        n++;
        anomalies += a.anomaly() ? 1 : 0;
        flagged += flag ? 1 : 0;
        tp += a.anomaly() && flag ? 1 : 0;
      }
    }
    return new F1(n, anomalies, flagged, tp);
  }

  private static void await(BooleanSupplier condition, long deadlineNanos, String what)
      throws InterruptedException, TimeoutException {
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadlineNanos) {
        throw new TimeoutException("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  @Override
  public void close() {
    if (annotator != null) {
      annotator.close();
    }
    if (counters != null) {
      counters.close();
    }
    if (stack != null) {
      stack.close();
    }
  }
}
