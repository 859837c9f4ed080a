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
 * when {@code -Dvigil.test.postgresUrl=jdbc:postgresql://host:port/db} (or {@code VIGIL_TEST_POSTGRES_URL},
 * which .ci/run sets after starting Debian's PostgreSQL) points at an empty database
 * the test may wipe (user/password: {@code vigil.test.postgresUser}/{@code
 * vigil.test.postgresPassword}, default postgres / empty).
 */
class PostgresStoreTest {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir Path dir;

  @Test
  void concurrentVersionsAndRestartOnPostgres() throws Exception {
    String url = setting("vigil.test.postgresUrl", "VIGIL_TEST_POSTGRES_URL", "");
    assumeThat(url).as("set -Dvigil.test.postgresUrl (or VIGIL_TEST_POSTGRES_URL) to run against PostgreSQL")
        .isNotEmpty();
    String user = setting("vigil.test.postgresUser", "VIGIL_TEST_POSTGRES_USER", "postgres");
    String password = setting("vigil.test.postgresPassword", "VIGIL_TEST_POSTGRES_PASSWORD", "");
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA public CASCADE");
      s.execute("CREATE SCHEMA public");
    }
    RegistryServerConfig cfg = TestServers.config(dir, S3.s3())
        .withStore(new RegistryServerConfig.Store(url, user, password, 8));
    ConcurrencyAndRestartTest.concurrentVersionsSurviveARestart(() -> RegistryServer.start(cfg));
  }

  /** A system property, else an environment variable (what .ci/run sets), else the default. */
  private static String setting(String property, String env, String fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isEmpty()) {
      v = System.getenv(env);
    }
    return v == null || v.isEmpty() ? fallback : v;
  }
}
