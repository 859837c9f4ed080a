package io.vigil.cli.registry;

import io.vigil.cli.UserException;
import io.vigil.embedded.EmbeddedS3;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
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
 * {@code vigil registry serve}: runs the embedded MLflow-compatible server on its own, with an
 * embedded S3 server for the artifacts unless an endpoint is given. Runs until Ctrl-C.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {
      "Run the MLflow-compatible tracking and model registry server (REST API 2.0, artifact proxy,"
          + " alias history) until Ctrl-C. Point any MLflow client at the printed URL.",
      "Metadata goes to H2 under .vigil/registry by default (or PostgreSQL with --store);"
          + " artifacts to S3: an embedded S3 server (data in .vigil/s3) unless --s3-endpoint is given.",
      "Configuration: defaults, then --config FILE, then VIGIL_REGISTRY__* environment variables,"
          + " then these options. `vigil registry defaults` lists every key."})
public final class RegistryServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Registry configuration file (YAML).")
  Path configFile;

  @Option(names = "--host", paramLabel = "HOST", description = "Interface to bind (default 127.0.0.1).")
  String host;

  @Option(names = {"-p", "--port"}, paramLabel = "P", description = "HTTP port (default 5000; 0 = any free port).")
  Integer port;

  @Option(names = "--store", paramLabel = "JDBC_URL",
      description = "Metadata store: jdbc:h2:file:PATH or jdbc:postgresql://HOST/DB.")
  String store;

  @Option(names = "--artifacts", paramLabel = "S3_URI",
      description = "Artifact root, s3://bucket/prefix (default s3://vigil-models/mlflow).")
  String artifacts;

  @Option(names = "--s3-endpoint", paramLabel = "URL",
      description = "External S3/MinIO endpoint for the artifacts; without it an embedded S3 server runs.")
  String s3Endpoint;

  @Option(names = "--s3-port", paramLabel = "P", defaultValue = "9000",
      description = "Port of the embedded S3 server (default ${DEFAULT-VALUE}; 0 = any free port).")
  int s3Port;

  @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = ".vigil",
      description = "Where the embedded S3 server keeps its data (DIR/s3). Default ${DEFAULT-VALUE}.")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    RegistryServerConfig cfg = effectiveConfig(System.getenv());
    EmbeddedS3 s3 = null;
    if (cfg.artifacts().endpoint() == null || cfg.artifacts().endpoint().isBlank()) {
      Files.createDirectories(workDir);
      try {
        s3 = EmbeddedS3.start(new EmbeddedS3.Settings(workDir.resolve("s3"), "127.0.0.1", s3Port,
            cfg.artifacts().accessKey(), cfg.artifacts().secretKey()));
      } catch (RuntimeException e) {
        if (causedByBind(e)) {
          throw new UserException("port " + s3Port + " for the embedded S3 server is in use (is `vigil up`"
              + " running? then pass --s3-endpoint http://127.0.0.1:" + s3Port + "), or choose --s3-port");
        }
        throw e;
      }
      cfg = cfg.withArtifacts(cfg.artifacts().withEndpoint(s3.endpoint()));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    try (EmbeddedS3 ownedS3 = s3) {
      RegistryServer server;
      try {
        server = RegistryServer.start(cfg);
      } catch (RuntimeException e) {
        if (causedByBind(e)) {
          throw new UserException("port " + cfg.port() + " is in use; choose another with --port");
        }
        throw e;
      }
      try (server) {
        out.printf(Locale.ROOT, "%nMLflow-compatible registry at %s%n", server.url());
        out.printf(Locale.ROOT, "  %-10s %s%n", "tracking", "export MLFLOW_TRACKING_URI=" + server.url());
        out.printf(Locale.ROOT, "  %-10s %s%n", "store", cfg.store().jdbcUrl());
        out.printf(Locale.ROOT, "  %-10s %s at %s%s%n", "artifacts", cfg.artifacts().root(),
            cfg.artifacts().endpoint(), ownedS3 != null ? " (embedded, access key " + cfg.artifacts().accessKey() + ")" : "");
        out.printf(Locale.ROOT, "  %-10s %s/health, %s/ready, %s/metrics%n", "ops", server.url(), server.url(), server.url());
        out.println("Press Ctrl-C to stop.");
        out.flush();
        Thread hook = new Thread(() -> {
          stopped.countDown();
          try {
            closed.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }, "vigil-registry-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
        out.println("stopping the registry...");
        out.flush();
      }
    } finally {
      out.println("registry stopped.");
      out.flush();
      closed.countDown();
    }
    return 0;
  }

  RegistryServerConfig effectiveConfig(Map<String, String> env) {
    RegistryServerConfig cfg = RegistryServerConfig.loader().load(configFile, env);
    if (host != null) {
      cfg = new RegistryServerConfig(host, cfg.port(), cfg.store(), cfg.artifacts(), cfg.auth(),
          cfg.maxResults(), cfg.shutdownGraceSeconds());
    }
    if (port != null) {
      cfg = cfg.withPort(port);
    }
    if (store != null) {
      RegistryServerConfig.Store s = cfg.store();
      cfg = cfg.withStore(new RegistryServerConfig.Store(store, s.user(), s.password(), s.maxPoolSize()));
    }
    RegistryServerConfig.Artifacts a = cfg.artifacts();
    if (artifacts != null || s3Endpoint != null) {
      cfg = cfg.withArtifacts(new RegistryServerConfig.Artifacts(artifacts != null ? artifacts : a.root(),
          s3Endpoint != null ? s3Endpoint : a.endpoint(), a.accessKey(), a.secretKey(), a.region(), a.createBucket()));
    }
    return cfg;
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
