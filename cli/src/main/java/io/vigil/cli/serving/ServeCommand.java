package io.vigil.cli.serving;

import io.vigil.cli.UserException;
import io.vigil.serving.DirectoryModelSource;
import io.vigil.serving.ServingConfig;
import io.vigil.serving.ServingServer;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vigil serve}: the Open Inference Protocol v2 gRPC server for one registered model,
 * following its alias (hot swap), until Ctrl-C.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {
      "Serve a registered model over gRPC (Open Inference Protocol v2, KServe/Triton compatible) on DJL/PyTorch,"
          + " with dynamic batching, hot swap when the alias moves, optional shadow scoring of a second alias,"
          + " and every answer logged to Kafka as a Prediction. Runs until Ctrl-C.",
      "Configuration: defaults, then --config FILE, then VIGIL_SERVING__* environment variables, then these"
          + " options. See serving/README.md for every key."})
public final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Serving configuration file (YAML).")
  Path configFile;

  @Option(names = {"-p", "--port"}, paramLabel = "P", description = "gRPC port (default 8001; 0 = any free port).")
  Integer port;

  @Option(names = "--host", paramLabel = "HOST", description = "Interface to bind (default 127.0.0.1).")
  String host;

  @Option(names = "--metrics-port", paramLabel = "P", description = "HTTP port of /metrics and /health (default 8002).")
  Integer metricsPort;

  @Option(names = {"-m", "--model"}, paramLabel = "NAME", description = "Registered model name (default anomaly-detector).")
  String model;

  @Option(names = {"-a", "--alias"}, paramLabel = "ALIAS", description = "Alias to follow (default champion).")
  String alias;

  @Option(names = "--model-version", paramLabel = "V", description = "Serve this version instead of following the alias.")
  String version;

  @Option(names = "--shadow", paramLabel = "ALIAS", description = "Also score this alias (e.g. challenger); logged only.")
  String shadow;

  @Option(names = "--registry", paramLabel = "URL", description = "MLflow tracking URI (default http://127.0.0.1:5000).")
  String registry;

  @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint of the artifacts (default http://127.0.0.1:9000).")
  String s3Endpoint;

  @Option(names = "--model-dir", paramLabel = "DIR",
      description = "Serve this local model directory (model.json + params) as version 1, without a registry.")
  Path modelDir;

  @Option(names = "--kafka", paramLabel = "SERVERS", description = "Kafka bootstrap servers (default 127.0.0.1:9092).")
  String kafka;

  @Option(names = "--no-kafka", description = "No prediction log and no model events (aliases are still polled).")
  boolean noKafka;

  @Option(names = "--max-batch", paramLabel = "N", description = "Most rows per model call (default 64).")
  Integer maxBatch;

  @Option(names = "--max-delay-us", paramLabel = "US", description = "Longest wait for a batch to fill, microseconds (default 2000).")
  Integer maxDelayMicros;

  @Option(names = "--no-batching", description = "Every request is its own model call.")
  boolean noBatching;

  @Option(names = "--tls-cert", paramLabel = "PEM",
      description = "Serve gRPC over TLS with this certificate chain (with --tls-key). Bearer tokens are set in the"
          + " configuration (security.authTokens or VIGIL_SERVING__SECURITY__AUTH_TOKENS), never on the command line.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "PKCS#8 PEM private key of --tls-cert.")
  Path tlsKey;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    ServingConfig cfg = effectiveConfig(System.getenv());
    Files.createDirectories(Path.of(cfg.model().workDir()));
    ServingServer.Parts parts = new ServingServer.Parts(
        modelDir == null ? null : new DirectoryModelSource(cfg.model().name(), "1", modelDir), null, null, null, null);
    if (modelDir != null && !Files.isRegularFile(modelDir.resolve("model.json"))) {
      throw new UserException("--model-dir " + modelDir + " holds no model.json");
    }
    ServingServer server;
    try {
      server = ServingServer.start(cfg, parts);
    } catch (RuntimeException e) {
      if (causedByBind(e)) {
        throw new UserException("port " + cfg.grpc().port() + " or " + cfg.metrics().port()
            + " is in use; choose others with --port / --metrics-port");
      }
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    try (server) {
      out.printf(Locale.ROOT, "%nOpen Inference Protocol v2 (gRPC) on %s:%d%n", cfg.grpc().host(), server.port());
      out.printf(Locale.ROOT, "  %-9s %s, following %s%s%n", "model", cfg.model().name(),
          cfg.model().version() != null ? "version " + cfg.model().version() : "alias " + cfg.model().alias(),
          cfg.model().shadowAlias() != null ? ", shadow " + cfg.model().shadowAlias() : "");
      out.printf(Locale.ROOT, "  %-9s %s%n", "serving", server.models().current(io.vigil.serving.ModelManager.Role.PRIMARY)
          .map(m -> "version " + m.id().version()).orElse("nothing yet (waiting for the alias)"));
      out.printf(Locale.ROOT, "  %-9s %s%n", "batching", cfg.batching());
      out.printf(Locale.ROOT, "  %-9s %s, %s%n", "security", cfg.security().tls() ? "TLS" : "plaintext",
          cfg.security().tokenList().isEmpty() ? "no authentication"
              : "bearer tokens (" + cfg.security().tokenList().size() + ") on every call but health and reflection");
      out.printf(Locale.ROOT, "  %-9s %s%n", "log", cfg.kafka().enabled()
          ? cfg.kafka().predictionsTopic() + " on " + cfg.kafka().bootstrapServers() : "off");
      if (server.metricsPort() > 0) {
        out.printf(Locale.ROOT, "  %-9s http://%s:%d/metrics, /health, /health/ready%n", "ops",
            cfg.metrics().host(), server.metricsPort());
      }
      out.println("Press Ctrl-C to stop.");
      out.flush();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        stopped.countDown();
        try {
          closed.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "vigil-serving-shutdown"));
      stopped.await();
      out.println("stopping serving (draining in-flight calls)...");
      out.flush();
    } finally {
      out.println("serving stopped.");
      out.flush();
      closed.countDown();
    }
    return 0;
  }

  ServingConfig effectiveConfig(Map<String, String> env) {
    ServingConfig c = ServingConfig.loader().load(configFile, env);
    ServingConfig.Grpc g = c.grpc();
    c = c.withGrpc(new ServingConfig.Grpc(host != null ? host : g.host(), port != null ? port : g.port(),
        g.executorThreads(), g.executorQueue(), g.maxMessageBytes(), g.shutdownGraceSeconds(), g.flowControlWindowBytes()));
    if (metricsPort != null) {
      c = c.withMetrics(new ServingConfig.Metrics(c.metrics().enabled(), c.metrics().host(), metricsPort));
    }
    ServingConfig.ModelSelection m = c.model();
    c = c.withModel(new ServingConfig.ModelSelection(model != null ? model : m.name(),
        alias != null ? alias : m.alias(), version != null ? version : m.version(),
        shadow != null ? shadow : m.shadowAlias(), m.pollIntervalSeconds(), m.workDir(), m.warmupBatches(),
        m.drainTimeoutSeconds()));
    ServingConfig.Registry r = c.registry();
    c = c.withRegistry(new ServingConfig.Registry(registry != null ? registry : r.trackingUri(),
        s3Endpoint != null ? s3Endpoint : r.s3Endpoint(), r.s3AccessKey(), r.s3SecretKey(), r.s3Region()));
    ServingConfig.Kafka k = c.kafka();
    c = c.withKafka(new ServingConfig.Kafka(k.enabled() && !noKafka, kafka != null ? kafka : k.bootstrapServers(),
        k.predictionsTopic(), k.modelEventsTopic(), k.logBufferSize()));
    if (tlsCert != null || tlsKey != null) {
      ServingConfig.Security sec = c.security();
      c = c.withSecurity(new ServingConfig.Security(tlsCert != null ? tlsCert.toString() : sec.tlsCertFile(),
          tlsKey != null ? tlsKey.toString() : sec.tlsKeyFile(), sec.authTokens()));
    }
    ServingConfig.Batching b = c.batching();
    c = c.withBatching(new ServingConfig.Batching(b.enabled() && !noBatching,
        maxBatch != null ? maxBatch : b.maxBatchSize(), maxDelayMicros != null ? maxDelayMicros : b.maxQueueDelayMicros(),
        b.queueCapacity(), b.workers()));
    return c;
  }

  private static boolean causedByBind(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }
}
