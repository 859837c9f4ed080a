package io.vigil.cli.up;

import static java.util.Objects.requireNonNull;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.vigil.cli.KafkaClients;
import io.vigil.cli.UserException;
import io.vigil.cli.VigilConfig;
import io.vigil.embedded.EmbeddedKafka;
import io.vigil.embedded.EmbeddedS3;
import io.vigil.schemas.topics.TopicInstaller;
import io.vigil.cli.SubmitCommand;
import io.vigil.cli.flink.FlinkRestClient;
import io.vigil.cli.flink.LocalFlink;
import io.vigil.labeling.LabelingConfig;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.KafkaModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import io.vigil.serving.ServingConfig;
import io.vigil.serving.ServingServer;
import io.vigil.training.EpochListener;
import io.vigil.training.TrainingConfig;
import io.vigil.training.TrainingRun;
import io.vigil.training.watch.RetrainWatcher;
import io.vigil.training.watch.WatchConfig;
import java.time.Clock;
import java.time.Duration;
import io.vigil.labeling.LabelingServer;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
import io.vigil.pipeline.FeatureJobConfig;
import io.vigil.pipeline.scoring.ScoringJobConfig;
import io.vigil.drift.DriftJobConfig;
import io.vigil.drift.requests.LabelRequestConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vigil.schemas.topics.TopicNames;
import io.vigil.schemas.topics.VigilTopic;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The infrastructure of the loop, embedded or external per configuration, started in order with a
 * check between steps, and stopped in reverse order. What runs where is in {@link #endpoints()}.
 */
public final class LocalStack implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

  /** One running part: what it is and where to reach it. */
  public record Endpoint(String part, String address, String detail) {}

  private final VigilConfig config;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final List<Endpoint> endpoints = new ArrayList<>();
  /** The Flink jobs this stack submitted, by name (their ids). */
  private final Map<String, String> submitted = new LinkedHashMap<>();
  /** How long a submitted job's tasks may take to run (slots, deployment, restoring its state). */
  private static final Duration JOB_START_TIMEOUT = Duration.ofMinutes(3);
  private String bootstrapServers;
  private String s3Endpoint;
  private String registryUrl;
  private RegistryClient registryClient;
  private String servingTarget;
  private ServingServer serving;
  private RetrainWatcher watcher;
  private Path demoData;
  private String labelingUrl;
  private String annotatorPassword;

  private LocalStack(VigilConfig config, Path demoData) {
    this.config = requireNonNull(config, "config");
    this.demoData = demoData;
  }

  /** Starts the infrastructure only (no demo data: no bootstrap model). */
  public static LocalStack start(VigilConfig config) {
    return start(config, null);
  }

  /**
   * Starts every part in order, each checked before the next.
   *
   * @param demoData the data directory whose unlabelled part trains the bootstrap model; null = none
   */
  public static LocalStack start(VigilConfig config, Path demoData) {
    LocalStack stack = new LocalStack(config, demoData);
    try {
      stack.startKafka();
      stack.startS3();
      stack.startRegistry();
      stack.bootstrapModel();
      stack.startServing();
      stack.startFlink();
      stack.startLabeling();
      stack.startWatcher();
      return stack;
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
  }

  private void startKafka() {
    VigilConfig.Kafka k = config.kafka();
    if (k.embedded()) {
      requireFreePort(k.port(), "kafka.port", "VIGIL_KAFKA__PORT");
      EmbeddedKafka kafka = EmbeddedKafka.start(new EmbeddedKafka.Settings(
          config.workPath().resolve("kafka"), "127.0.0.1", k.port(), k.controllerPort(), Map.of()));
      started.push(kafka);
      bootstrapServers = kafka.bootstrapServers();
      endpoints.add(new Endpoint("Kafka", bootstrapServers, "embedded KRaft broker, data in " + kafka.logDir()));
    } else {
      bootstrapServers = k.bootstrapServers();
      endpoints.add(new Endpoint("Kafka", bootstrapServers, "external"));
    }
    try (Admin admin = KafkaClients.admin(bootstrapServers)) {
      List<String> created = new TopicInstaller(admin, config.topicNames(), k.replicationFactor()).ensureAll();
      LOG.info("topics ready ({} created)", created.size());
    } catch (IllegalStateException e) {
      throw new UserException("Kafka at " + bootstrapServers + " is not usable: " + e.getMessage(), e);
    }
  }

  private void startS3() {
    VigilConfig.S3 s = config.s3();
    if (s.embedded()) {
      requireFreePort(s.port(), "s3.port", "VIGIL_S3__PORT");
      EmbeddedS3 s3 = EmbeddedS3.start(new EmbeddedS3.Settings(
          config.workPath().resolve("s3"), "127.0.0.1", s.port(), s.accessKey(), s.secretKey()));
      started.push(s3);
      s3Endpoint = s3.endpoint();
      endpoints.add(new Endpoint("S3", s3Endpoint, "embedded s3proxy, data in " + s3.dataDir()
          + ", access key " + s.accessKey()));
    } else {
      s3Endpoint = s.endpoint();
      endpoints.add(new Endpoint("S3", s3Endpoint, "external"));
    }
    MinioClient minio = MinioClient.builder().endpoint(s3Endpoint)
        .credentials(s.accessKey(), s.secretKey()).region(s.region()).build();
    for (String bucket : s.buckets()) {
      try {
        if (!minio.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
          minio.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
        }
      } catch (Exception e) {
        throw new UserException("S3 at " + s3Endpoint + " is not usable (bucket " + bucket + "): "
            + e.getMessage(), e);
      }
    }
  }

  private void startRegistry() {
    VigilConfig.Registry r = config.registry();
    if (!r.embedded()) {
      registryUrl = r.url();
      endpoints.add(new Endpoint("Registry", registryUrl, "external MLflow server"));
      return;
    }
    requireFreePort(r.port(), "registry.port", "VIGIL_REGISTRY__PORT");
    Path dir = config.workPath().toAbsolutePath().normalize().resolve("registry");
    RegistryServerConfig d = RegistryServerConfig.defaults();
    RegistryServerConfig rc = new RegistryServerConfig("127.0.0.1", r.port(),
        new RegistryServerConfig.Store("jdbc:h2:file:" + dir.resolve("registry") + ";LOCK_TIMEOUT=10000", "sa", "", 8),
        new RegistryServerConfig.Artifacts("s3://vigil-models/mlflow", s3Endpoint, config.s3().accessKey(),
            config.s3().secretKey(), config.s3().region(), true),
        RegistryServerConfig.Auth.none(), d.maxResults(), d.shutdownGraceSeconds());
    RegistryServer server = RegistryServer.start(rc);
    started.push(server);
    registryUrl = server.url();
    endpoints.add(new Endpoint("Registry", registryUrl,
        "embedded MLflow-compatible server, metadata in " + dir + ", artifacts in s3://vigil-models/mlflow"));
  }

  /** A registry client for the launcher's own work (bootstrap, counters), model events on Kafka. */
  public RegistryClient registryClient() {
    if (registryClient == null) {
      KafkaModelEventPublisher events = KafkaModelEventPublisher.create(bootstrapServers,
          config.topicNames().name(VigilTopic.MODEL_EVENTS));
      started.push(events);
      registryClient = new RegistryClient(ClientSettings.of(registryUrl, s3Endpoint, config.s3().accessKey(),
          config.s3().secretKey()), events, Clock.systemUTC());
      started.push(registryClient);
    }
    return registryClient;
  }

  /**
   * Registers a cold-start model trained on the demo data's unlabelled (training) part and points
   * {@code champion} at it, unless the registry has a champion already (a second {@code up}).
   */
  private void bootstrapModel() {
    VigilConfig.Loop loop = config.loop();
    if (!loop.bootstrapModel() || demoData == null) {
      return;
    }
    RegistryClient registry = registryClient();
    var champion = registry.byAlias(loop.modelName(), "champion");
    if (champion.isPresent()) {
      endpoints.add(new Endpoint("Model", loop.modelName() + " v" + champion.get().version(),
          "champion from the registry"));
      return;
    }
    TrainingConfig d = TrainingConfig.loader().load(null, System.getenv());
    TrainingConfig tc = d.withRegistry(new TrainingConfig.Registry(registryUrl, s3Endpoint,
        config.s3().accessKey(), config.s3().secretKey(), config.s3().region(), d.registry().experiment(),
        loop.modelName(), "vigil-up"));
    long t0 = System.nanoTime();
    TrainingRun.Result r = new TrainingRun(tc, registry).run(demoData, java.util.Set.of(),
        config.workPath().toAbsolutePath().normalize().resolve("bootstrap-model"), "champion",
        EpochListener.none());
    endpoints.add(new Endpoint("Model", loop.modelName() + " v" + r.version().version(), String.format(
        java.util.Locale.ROOT, "cold-start model trained on %d unlabelled rows of %s in %.1f s, now champion",
        r.trainRows(), demoData, (System.nanoTime() - t0) / 1e9)));
  }

  /** The gRPC inference server, following the champion alias, logging to the predictions topic. */
  private void startServing() {
    VigilConfig.Loop loop = config.loop();
    if (!loop.serving()) {
      return;
    }
    requireFreePort(loop.servingPort(), "loop.servingPort", "VIGIL_LOOP__SERVING_PORT");
    requireFreePort(loop.servingMetricsPort(), "loop.servingMetricsPort", "VIGIL_LOOP__SERVING_METRICS_PORT");
    ServingConfig d = ServingConfig.loader().load(null, System.getenv());
    TopicNames t = config.topicNames();
    ServingConfig sc = d
        .withGrpc(new ServingConfig.Grpc("127.0.0.1", loop.servingPort(), d.grpc().executorThreads(),
            d.grpc().executorQueue(), d.grpc().maxMessageBytes(), d.grpc().shutdownGraceSeconds(),
            d.grpc().flowControlWindowBytes()))
        .withMetrics(new ServingConfig.Metrics(true, "127.0.0.1", loop.servingMetricsPort()))
        .withModel(new ServingConfig.ModelSelection(loop.modelName(), "champion", null, d.model().shadowAlias(),
            d.model().pollIntervalSeconds(), config.workPath().toAbsolutePath().normalize().resolve("serving")
                .toString(), d.model().warmupBatches(), d.model().drainTimeoutSeconds()))
        .withRegistry(new ServingConfig.Registry(registryUrl, s3Endpoint, config.s3().accessKey(),
            config.s3().secretKey(), config.s3().region()))
        .withKafka(new ServingConfig.Kafka(true, bootstrapServers, t.name(VigilTopic.PREDICTIONS),
            t.name(VigilTopic.MODEL_EVENTS), d.kafka().logBufferSize()));
    ServingServer server = ServingServer.start(sc);
    started.push(server);
    serving = server;
    servingTarget = "127.0.0.1:" + server.port();
    endpoints.add(new Endpoint("Serving", servingTarget, "OIP v2 gRPC (KServe/Triton), model " + loop.modelName()
        + " @champion; /metrics and /health on http://127.0.0.1:" + server.metricsPort()));
  }

  /**
   * The retraining watcher, in this process: retrains on new labels (or a drift alarm), compares the
   * candidate with the champion on held-out labels, and promotes or proposes it per {@code
   * loop.promotion}.
   */
  private void startWatcher() {
    VigilConfig.Loop loop = config.loop();
    if (!loop.retrain()) {
      return;
    }
    TrainingConfig d = TrainingConfig.loader().load(null, System.getenv());
    TopicNames t = config.topicNames();
    WatchConfig w = d.watch();
    WatchConfig wc = new WatchConfig(
        new WatchConfig.Kafka(bootstrapServers, t.name(VigilTopic.LABELS), t.name(VigilTopic.DRIFT),
            t.name(VigilTopic.FEATURES), t.name(VigilTopic.MODEL_EVENTS)),
        new WatchConfig.Triggers(loop.retrainAfterLabels(), w.triggers().onDriftAlarm(),
            w.triggers().scheduleMinutes(), loop.retrainMinGapSeconds(), w.triggers().checkIntervalMillis()),
        new WatchConfig.Data(w.data().maxStoredFeatures(), w.data().holdoutShare(),
            w.data().minTrainRows(), Math.min(w.data().minLabels(), loop.retrainAfterLabels())),
        new WatchConfig.Promotion(loop.promotion(), w.promotion().margin(), w.promotion().championAlias(),
            w.promotion().challengerAlias(), w.promotion().actor()),
        config.workPath().toAbsolutePath().normalize().resolve("retrain").toString());
    TrainingConfig tc = d.withRegistry(new TrainingConfig.Registry(registryUrl, s3Endpoint,
        config.s3().accessKey(), config.s3().secretKey(), config.s3().region(), d.registry().experiment(),
        loop.modelName(), "retrain-watcher")).withWatch(wc);
    RegistryClient registry = registryClient();
    KafkaModelEventPublisher events = KafkaModelEventPublisher.create(bootstrapServers, t.name(VigilTopic.MODEL_EVENTS));
    started.push(events);
    watcher = new RetrainWatcher(tc, registry, events, decision -> LOG.info("retraining run {} ({}): {} — {}",
        decision.run(), decision.trigger(), decision.outcome(), decision.reason()), Clock.systemUTC()).start();
    started.push(watcher);
    endpoints.add(new Endpoint("Retrain", "watcher", String.format(java.util.Locale.ROOT,
        "retrains after %d new labels or a drift alarm (at most every %d s); promotion: %s",
        loop.retrainAfterLabels(), loop.retrainMinGapSeconds(), loop.promotion())));
  }

  /** The retraining watcher, or null when it doesn't run. */
  public RetrainWatcher watcher() {
    return watcher;
  }

  private void startLabeling() {
    if (!config.labeling().enabled()) {
      return;
    }
    requireFreePort(config.labeling().port(), "labeling.port", "VIGIL_LABELING__SERVER__PORT");
    Path dir = config.workPath().toAbsolutePath().normalize().resolve("labeling");
    LabelingCredentials creds = LabelingCredentials.loadOrCreate(dir.resolve("credentials.properties"));
    LabelingConfig d = LabelingConfig.defaults();
    TopicNames t = config.topicNames();
    LabelingConfig lc = new LabelingConfig(
        new LabelingConfig.Server("127.0.0.1", config.labeling().port(), false, d.server().shutdownGraceSeconds()),
        new LabelingConfig.Db("jdbc:h2:file:" + dir.resolve("labels") + ";WRITE_DELAY=0", "sa", "", 10),
        new LabelingConfig.Kafka(true, bootstrapServers, d.kafka().groupId(), t.name(VigilTopic.LABEL_REQUESTS),
            t.name(VigilTopic.LABELS), t.name(VigilTopic.MODEL_EVENTS), t.name(VigilTopic.DLQ_LABEL_REQUESTS),
            d.kafka().outboxMarkerTopic(), d.kafka().transactionalId(), d.kafka().relayIntervalMillis()),
        new LabelingConfig.Security(creds.sessionSecret(), d.security().sessionHours(),
            d.security().loginAttemptsPerMinute(), "admin", creds.adminPassword(), "annotator",
            creds.annotatorPassword()),
        d.queue(), d.quality(),
        new LabelingConfig.Registry(registryUrl == null ? "" : registryUrl, config.loop().modelName(),
            d.registry().timeoutMillis()));
    LabelingServer ui = LabelingServer.start(lc);
    started.push(ui);
    labelingUrl = ui.url();
    annotatorPassword = creds.annotatorPassword();
    endpoints.add(new Endpoint("Labels", ui.url(), "labeling UI: annotator / " + creds.annotatorPassword()
        + ", admin / " + creds.adminPassword() + " (kept in " + dir.resolve("credentials.properties") + ")"));
  }

  private void startFlink() {
    VigilConfig.Flink f = config.flink();
    URI rest;
    if (f.embedded()) {
      requireFreePort(f.restPort(), "flink.restPort", "VIGIL_FLINK__REST_PORT");
      try {
        LocalFlink flink = LocalFlink.start(f.restPort(), f.slots(), pluginsDir(),
            new LocalFlink.S3(s3Endpoint, config.s3().accessKey(), config.s3().secretKey()));
        started.push(flink);
        rest = flink.restAddress();
      } catch (Exception e) {
        throw new UserException("cannot start the Flink MiniCluster: " + e.getMessage(), e);
      }
      endpoints.add(new Endpoint("Flink", rest.toString(), "embedded MiniCluster: web UI and REST API"));
    } else {
      rest = URI.create(f.jobManager());
      endpoints.add(new Endpoint("Flink", rest.toString(), "external cluster"));
    }
    if (f.featurePipeline()) {
      Path jobConfig = writeFeatureJobConfig();
      SubmitCommand.JobSubmission job = submitJob(rest, "feature-pipeline", jobConfig, checkpointDir("feature-pipeline"));
      endpoints.add(new Endpoint("Job", "feature-pipeline " + job.jobId(),
          "telemetry -> features, config " + jobConfig));
    }
    if (config.loop().scoring() && servingTarget != null) {
      Path jobConfig = writeJobConfig("scoring.yaml", ScoringJobConfig.loader().toYaml(scoringJobConfig()));
      SubmitCommand.JobSubmission job = submitJob(rest, "scoring", jobConfig, checkpointDir("scoring"));
      endpoints.add(new Endpoint("Job", "scoring " + job.jobId(),
          "features -> serving (async gRPC) -> predictions, config " + jobConfig));
    }
    if (config.loop().drift() && registryUrl != null) {
      Path jobConfig = driftJobConfig();
      SubmitCommand.JobSubmission job = submitJob(rest, "drift-monitor", jobConfig, checkpointDir("drift-monitor"));
      endpoints.add(new Endpoint("Job", "drift-monitor " + job.jobId(),
          "features + predictions vs each version's reference profile -> drift reports, config " + jobConfig));
    }
    if (config.loop().labelRequests()) {
      Path jobConfig = labelRequestJobConfig();
      SubmitCommand.JobSubmission job = submitJob(rest, "label-requests", jobConfig, checkpointDir("label-requests"));
      endpoints.add(new Endpoint("Job", "label-requests " + job.jobId(),
          "predictions + telemetry + labels -> label requests (uncertainty, incidents, budget), config " + jobConfig));
    }
    // up only when every submitted job's tasks run: a job waiting for task slots (an external cluster
    // without room for it) or failing at start is reported here, not discovered later by missing output
    FlinkRestClient flink = new FlinkRestClient(rest);
    submitted.forEach((name, jobId) -> flink.awaitRunning(jobId, name, JOB_START_TIMEOUT));
  }

  /** The label-request job's config: its own defaults and environment, with this stack's Kafka and topics. */
  private Path labelRequestJobConfig() {
    TopicNames t = config.topicNames();
    Map<String, Object> o = new java.util.LinkedHashMap<>();
    o.put("bootstrapServers", bootstrapServers);
    o.put("topics.telemetry", t.name(VigilTopic.TELEMETRY));
    o.put("topics.features", t.name(VigilTopic.FEATURES));
    o.put("topics.predictions", t.name(VigilTopic.PREDICTIONS));
    o.put("topics.labels", t.name(VigilTopic.LABELS));
    o.put("topics.drift", t.name(VigilTopic.DRIFT));
    o.put("topics.labelRequests", t.name(VigilTopic.LABEL_REQUESTS));
    o.put("topics.dlq", t.name(VigilTopic.DLQ_LABEL_REQUEST_JOB));
    o.put("checkpointDir", checkpointDir("label-requests"));
    return writeJobConfig("label-requests.yaml",
        overridden(LabelRequestConfig.loader().toYaml(LabelRequestConfig.loader().load(null, System.getenv())), o));
  }

  /** The drift job's config: its own defaults and environment, with this stack's Kafka, topics and registry. */
  private Path driftJobConfig() {
    TopicNames t = config.topicNames();
    Map<String, Object> o = new java.util.LinkedHashMap<>();
    o.put("bootstrapServers", bootstrapServers);
    o.put("featuresTopic", t.name(VigilTopic.FEATURES));
    o.put("predictionsTopic", t.name(VigilTopic.PREDICTIONS));
    o.put("labelsTopic", t.name(VigilTopic.LABELS));
    o.put("driftTopic", t.name(VigilTopic.DRIFT));
    o.put("dlqTopic", t.name(VigilTopic.DLQ_DRIFT));
    o.put("checkpointDir", checkpointDir("drift-monitor"));
    o.put("registry.trackingUri", registryUrl);
    o.put("registry.s3Endpoint", s3Endpoint);
    o.put("registry.accessKey", config.s3().accessKey());
    o.put("registry.secretKey", config.s3().secretKey());
    return writeJobConfig("drift-monitor.yaml",
        overridden(DriftJobConfig.loader().toYaml(DriftJobConfig.loader().load(null, System.getenv())), o));
  }

  /** {@code yaml} with the dotted keys of {@code overrides} set; the job validates the result when it loads it. */
  private static String overridden(String yaml, Map<String, Object> overrides) {
    try {
      ObjectMapper m = new ObjectMapper(new YAMLFactory());
      ObjectNode root = (ObjectNode) m.readTree(yaml);
      for (Map.Entry<String, Object> e : overrides.entrySet()) {
        String[] path = e.getKey().split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < path.length - 1; i++) {
          node = node.has(path[i]) && node.get(path[i]).isObject() ? (ObjectNode) node.get(path[i])
              : node.putObject(path[i]);
        }
        node.set(path[path.length - 1], m.valueToTree(e.getValue()));
      }
      return m.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException("cannot rewrite a job configuration", e);
    }
  }

  private ScoringJobConfig scoringJobConfig() {
    ScoringJobConfig d = ScoringJobConfig.loader().load(null, System.getenv());
    TopicNames t = config.topicNames();
    return new ScoringJobConfig(d.jobName(), bootstrapServers, t.name(VigilTopic.FEATURES),
        t.name(VigilTopic.PREDICTIONS), t.name(VigilTopic.DLQ_SCORING), t.name(VigilTopic.LABELS), d.groupId(),
        d.transactionalIdPrefix(),
        d.transactionTimeout(), d.featureSetFile(),
        new ScoringJobConfig.Serving(servingTarget, false, null, null, config.loop().modelName(), "champion"),
        d.async(), d.retry(), d.circuitBreaker(), d.checkpointInterval(), checkpointDir("scoring"),
        new FeatureJobConfig.S3(s3Endpoint, config.s3().accessKey(), config.s3().secretKey(), true),
        d.parallelism());
  }

  /**
   * Submits a job, resuming it from its newest retained checkpoint under {@code checkpointDir} when an
   * earlier {@code up} left one (state, source offsets and sink transactions consistent: nothing
   * recomputed from scratch, nothing written twice). A checkpoint that cannot be restored (e.g. the
   * job changed incompatibly) is reported and the job starts fresh from its committed offsets. The job
   * is cancelled when the stack stops; its last checkpoint is retained for the next {@code up}.
   */
  private SubmitCommand.JobSubmission submitJob(URI rest, String name, Path jobConfig, String checkpointDir) {
    String restore = latestCheckpoint(checkpointDir);
    SubmitCommand.JobSubmission job;
    if (restore != null) {
      try {
        job = SubmitCommand.submit(rest, name, jobConfig, restore);
        LOG.info("{} resumed from {}", name, restore);
      } catch (UserException e) {
        LOG.warn("{} could not resume from {} ({}); starting it from its committed offsets", name, restore,
            e.getMessage());
        job = SubmitCommand.submit(rest, name, jobConfig, null);
      }
    } else {
      job = SubmitCommand.submit(rest, name, jobConfig, null);
    }
    String jobId = job.jobId();
    submitted.put(name, jobId);
    FlinkRestClient flink = new FlinkRestClient(rest);
    started.push(() -> {
      try {
        flink.cancel(jobId);
      } catch (RuntimeException e) {
        LOG.warn("cancelling {} ({}) failed: {}", name, jobId, e.getMessage());
      }
    });
    return job;
  }

  /** The newest completed checkpoint ({@code chk-N} with its {@code _metadata}) under {@code dir}, or null. */
  private String latestCheckpoint(String dir) {
    try {
      if (dir.startsWith("s3://")) {
        String rest = dir.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1) + "/";
        MinioClient minio = MinioClient.builder().endpoint(s3Endpoint)
            .credentials(config.s3().accessKey(), config.s3().secretKey()).region(config.s3().region()).build();
        String best = null;
        java.time.ZonedDateTime bestTime = null;
        for (var r : minio.listObjects(io.minio.ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
            .recursive(true).build())) {
          var item = r.get();
          if (item.objectName().endsWith("/_metadata")
              && (bestTime == null || item.lastModified().isAfter(bestTime))) {
            bestTime = item.lastModified();
            best = item.objectName();
          }
        }
        return best == null ? null : "s3://" + bucket + "/" + best.substring(0, best.length() - "/_metadata".length());
      }
      Path root = Path.of(URI.create(dir));
      if (!Files.isDirectory(root)) {
        return null;
      }
      try (var files = Files.walk(root, 3)) {
        return files.filter(f -> f.getFileName().toString().equals("_metadata"))
            .max(java.util.Comparator.comparingLong(f -> f.toFile().lastModified()))
            .map(f -> f.getParent().toUri().toString()).orElse(null);
      }
    } catch (Exception e) {
      LOG.warn("cannot look for retained checkpoints under {}: {}", dir, e.toString());
      return null;
    }
  }

  /** Where a job checkpoints: the checkpoint bucket when Flink can reach S3, else the work directory. */
  private String checkpointDir(String job) {
    boolean s3 = !config.flink().embedded() || LocalFlink.hasS3Plugin(pluginsDir());
    return s3 ? "s3://vigil-checkpoints/" + job
        : config.workPath().toAbsolutePath().normalize().resolve("flink/checkpoints/" + job).toUri().toString();
  }

  private Path writeJobConfig(String fileName, String yaml) {
    Path work = config.workPath().toAbsolutePath().normalize();
    Path file = work.resolve(fileName);
    try {
      Files.createDirectories(work);
      Files.writeString(file, yaml);
    } catch (IOException e) {
      throw new UserException("cannot write " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  /** Flink plugins shipped with the launcher (the S3 file system), under cli/target/flink-plugins. */
  private static Path pluginsDir() {
    return Path.of(System.getProperty("vigil.home", ".")).resolve("cli/target/flink-plugins");
  }

  private Path writeFeatureJobConfig() {
    FeatureJobConfig d = FeatureJobConfig.defaults();
    Path work = config.workPath().toAbsolutePath().normalize();
    // checkpoints and the archive go to S3 when Flink can reach it (the S3 plugin is installed);
    // otherwise to the work directory
    boolean s3 = !config.flink().embedded() || LocalFlink.hasS3Plugin(pluginsDir());
    String checkpoints = checkpointDir("feature-pipeline");
    String archive = s3 ? "s3://vigil-features/archive" : work.resolve("features-archive").toUri().toString();
    TopicNames t = config.topicNames();
    FeatureJobConfig job = new FeatureJobConfig(d.jobName(), bootstrapServers,
        t.name(VigilTopic.TELEMETRY), t.name(VigilTopic.FEATURES), t.name(VigilTopic.DLQ_TELEMETRY),
        d.groupId(), d.transactionalIdPrefix(), d.transactionTimeout(), null, d.outOfOrderness(),
        d.idleness(), d.checkpointInterval(), checkpoints, archive,
        new FeatureJobConfig.S3(s3Endpoint, config.s3().accessKey(), config.s3().secretKey(), true),
        d.absurdValueLimit(), false, 2);
    Path file = work.resolve("feature-pipeline.yaml");
    try {
      Files.createDirectories(work);
      Files.writeString(file, FeatureJobConfig.loader().toYaml(job));
    } catch (IOException e) {
      throw new UserException("cannot write " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  private static void requireFreePort(int port, String key, String env) {
    if (port == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      probe.setReuseAddress(true);
    } catch (IOException e) {
      throw new UserException("port " + port + " (" + key + ") is already in use: stop what holds it,"
          + " or set " + key + " / " + env + " to another port (0 = any free port)");
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public String s3Endpoint() {
    return s3Endpoint;
  }

  /** The model registry's tracking URL, or null when none runs. */
  public String registryUrl() {
    return registryUrl;
  }

  /** The labeling UI's base URL, or null when it doesn't run. */
  public String labelingUrl() {
    return labelingUrl;
  }

  /** The password of the first annotator account ({@code annotator}). */
  public String annotatorPassword() {
    return annotatorPassword;
  }

  /** The in-process inference server, or null when it doesn't run. */
  public ServingServer serving() {
    return serving;
  }

  /** host:port of the gRPC inference server, or null when it doesn't run. */
  public String servingTarget() {
    return servingTarget;
  }

  public List<Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  /** Stops what this stack started, newest first. Idempotent. */
  @Override
  public synchronized void close() {
    while (!started.isEmpty()) {
      AutoCloseable c = started.pop();
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("stopping {} failed: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
