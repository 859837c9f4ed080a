package io.vigil.registry.server.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL database behind the registry: a HikariCP pool over H2 (file or memory) or PostgreSQL,
 * with the schema brought up to date by the versioned Flyway migrations in {@code db/migration}.
 */
public final class Database implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final HikariDataSource dataSource;

  private Database(HikariDataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource");
  }

  /** Opens the pool and migrates the schema; fails if the database is unreachable. */
  public static Database open(String jdbcUrl, String user, String password, int maxPoolSize) {
    requireNonNull(jdbcUrl, "jdbcUrl");
    if (!jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "store.jdbcUrl must be an H2 (jdbc:h2:...) or PostgreSQL (jdbc:postgresql:...) URL");
    }
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(withoutCloseOnExit(jdbcUrl));
    hc.setUsername(user);
    hc.setPassword(password);
    hc.setMaximumPoolSize(maxPoolSize);
    hc.setPoolName("vigil-registry");
    hc.setAutoCommit(true);
    HikariDataSource ds = new HikariDataSource(hc);
    try {
      MigrateResult result =
          Flyway.configure()
              .dataSource(ds)
              .locations("classpath:db/migration")
              .load()
              .migrate();
      LOG.info("registry schema at version {} ({} migrations applied)",
          result.targetSchemaVersion == null ? "current" : result.targetSchemaVersion,
          result.migrationsExecuted);
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    return new Database(ds);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public boolean isPostgres() {
    return dataSource.getJdbcUrl().startsWith("jdbc:postgresql:");
  }

  @Override
  public void close() {
    dataSource.close();
  }

  /**
   * An H2 URL with H2's own close at JVM exit turned off (unless the URL sets it): the service closes its
   * pool in its shutdown, after the threads that use it have stopped, and H2's shutdown hook, running
   * beside it, closed the database under them (an error logged at every stop of {@code vigil up}).
   */
  static String withoutCloseOnExit(String url) {
    return url.startsWith("jdbc:h2:") && !url.toUpperCase(java.util.Locale.ROOT).contains("DB_CLOSE_ON_EXIT")
        ? url + ";DB_CLOSE_ON_EXIT=FALSE" : url;
  }
}
