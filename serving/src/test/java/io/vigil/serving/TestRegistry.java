package io.vigil.serving;

import io.vigil.embedded.EmbeddedS3;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelSpec;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.Registration;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RunRef;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The embedded registry server over H2 and the embedded S3 server, and a client; builds real DJL
 * models and registers them the way training will.
 */
final class TestRegistry implements AutoCloseable {

  static final List<String> FEATURES = List.of("cpu.last", "mem.last", "disk.last", "net.last");

  final RegistryServer server;
  final RegistryClient client;
  final EmbeddedS3 s3;
  private final Path dir;

  TestRegistry(Path dir, EmbeddedS3 s3, ModelEventPublisher events) {
    this.dir = dir;
    this.s3 = s3;
    RegistryServerConfig d = RegistryServerConfig.defaults();
    server = RegistryServer.start(d.withPort(0)
        .withStore(new RegistryServerConfig.Store(
            "jdbc:h2:file:" + dir.resolve("registry").toAbsolutePath() + ";LOCK_TIMEOUT=10000", "sa", "", 8))
        .withArtifacts(new RegistryServerConfig.Artifacts("s3://vigil-models/mlflow", s3.endpoint(),
            s3.accessKey(), s3.secretKey(), "us-east-1", true)));
    client = new RegistryClient(ClientSettings.of(server.url(), s3.endpoint(), s3.accessKey(),
        s3.secretKey()), events, Clock.systemUTC());
  }

  static ModelSpec spec(long seed) {
    return ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.AUTOENCODER, List.of(8, 3, 8)),
        new ModelSpec.Inputs(FEATURES, "test-features", "fs-test-1"),
        new ModelSpec.ScoreScale(0.0, 1.0, 2.5), seed);
  }

  /** Builds a model with weights drawn from {@code seed}, saves it and registers it. */
  ModelVersionInfo register(String model, long seed) throws Exception {
    return register(model, seed, false);
  }

  /** As {@link #register(String, long)}; with {@code corrupt} the parameter file is garbage (its checksum matches). */
  ModelVersionInfo register(String model, long seed, boolean corrupt) throws Exception {
    Path local = Files.createTempDirectory(Files.createDirectories(dir.resolve("local")), model + "-");
    try (ModelArtifact m = ModelArtifacts.create(spec(seed))) {
      ModelArtifacts.save(m, local);
    }
    if (corrupt) {
      Path params = local.resolve("model-0000.params");
      byte[] bytes = Files.readAllBytes(params);
      Files.write(params, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    }
    String exp = client.experimentId("serving-tests");
    RunRef run = client.startRun(exp, model + "-seed-" + seed);
    client.uploadArtifacts(run.runId(), "model", local);
    client.finishRun(run.runId(), true);
    return client.register(new Registration(model, run.runId(), "model", "fs-test-1", "none",
        "s-0..s-0", "seed " + seed, Map.of("seed", Long.toString(seed)), "serving-test"));
  }

  @Override
  public void close() {
    client.close();
    server.close();
  }
}
