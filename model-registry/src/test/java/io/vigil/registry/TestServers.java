package io.vigil.registry;

import io.vigil.embedded.EmbeddedS3;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
import java.nio.file.Path;

/** Wires a registry server over an H2 file in a test directory and an embedded S3 server. */
public final class TestServers {

  private TestServers() {}

  public static RegistryServerConfig config(Path dir, EmbeddedS3 s3) {
    RegistryServerConfig d = RegistryServerConfig.defaults();
    return d.withPort(0)
        .withStore(new RegistryServerConfig.Store(
            "jdbc:h2:file:" + dir.resolve("registry").toAbsolutePath() + ";LOCK_TIMEOUT=10000", "sa", "", 8))
        .withArtifacts(new RegistryServerConfig.Artifacts("s3://vigil-models/mlflow", s3.endpoint(),
            s3.accessKey(), s3.secretKey(), "us-east-1", true));
  }

  public static RegistryServer start(Path dir, EmbeddedS3 s3) {
    return RegistryServer.start(config(dir, s3));
  }
}
