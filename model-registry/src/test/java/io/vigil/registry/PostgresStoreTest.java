package io.vigil.registry;

import static org.assertj.core.api.Assumptions.assumeThat;

import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store on PostgreSQL: the same migrations, row locks and restart behaviour as on H2. Runs only
 * when {@code -Dvigil.test.postgresUrl=jdbc:postgresql://host:port/db} points at an empty database
 * the test may wipe (user/password: {@code vigil.test.postgresUser}/{@code
 * vigil.test.postgresPassword}, default postgres / empty).
 */
class PostgresStoreTest {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir Path dir;

  @Test
  void concurrentVersionsAndRestartOnPostgres() throws Exception {
    String url = System.getProperty("vigil.test.postgresUrl", "");
    assumeThat(url).as("set -Dvigil.test.postgresUrl to run against PostgreSQL").isNotEmpty();
    String user = System.getProperty("vigil.test.postgresUser", "postgres");
    String password = System.getProperty("vigil.test.postgresPassword", "");
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA public CASCADE");
      s.execute("CREATE SCHEMA public");
    }
    RegistryServerConfig cfg = TestServers.config(dir, S3.s3())
        .withStore(new RegistryServerConfig.Store(url, user, password, 8));
    ConcurrencyAndRestartTest.concurrentVersionsSurviveARestart(() -> RegistryServer.start(cfg));
  }
}
