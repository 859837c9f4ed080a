package io.vigil.labeling.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.vigil.labeling.ApiException;
import io.vigil.labeling.ErrorCode;
import io.vigil.labeling.LabelingConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL store: a HikariCP pool over H2 (file) or PostgreSQL, migrated by Flyway at open, and a
 * transaction helper. Every write of the service goes through {@link #inTransaction}.
 */
public final class Database implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  /** Work done inside one transaction. */
  @FunctionalInterface
  public interface TxWork<T> {
    T apply(Connection c) throws SQLException;
  }

  private final HikariDataSource pool;
  private final boolean postgres;

  private Database(HikariDataSource pool, boolean postgres) {
    this.pool = pool;
    this.postgres = postgres;
  }

  /** Opens the pool and applies pending migrations. */
  public static Database open(LabelingConfig.Db db) {
    requireNonNull(db, "db");
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(withoutCloseOnExit(db.url()));
    hc.setUsername(db.user());
    hc.setPassword(db.password());
    hc.setMaximumPoolSize(db.poolSize());
    hc.setAutoCommit(false);
    hc.setPoolName("vigil-labeling");
    hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    HikariDataSource ds = new HikariDataSource(hc);
    try {
      Flyway.configure()
          .dataSource(ds)
          .locations("classpath:io/vigil/labeling/db/migration")
          .placeholders(Map.of("bytes", db.postgres() ? "BYTEA" : "VARBINARY(16000000)",
              "text", db.postgres() ? "TEXT" : "CHARACTER VARYING(1000000)"))
          .load()
          .migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw e;
    }
    LOG.info("database ready: {}", redact(db.url()));
    return new Database(ds, db.postgres());
  }

  public DataSource dataSource() {
    return pool;
  }

  public boolean postgres() {
    return postgres;
  }

  /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
  public <T> T inTransaction(TxWork<T> work) {
    try (Connection c = pool.getConnection()) {
      try {
        T result = work.apply(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  /** Whether the database answers. */
  public boolean ping() {
    try (Connection c = pool.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      LOG.warn("database ping failed: {}", e.getMessage());
      return false;
    }
  }

  /** Unique-key violations are conflicts; everything else means the store is unavailable. */
  static ApiException translate(SQLException e) {
    if ("23505".equals(e.getSQLState())) {
      return new ApiException(ErrorCode.CONFLICT, "already exists", e);
    }
    LOG.error("database error (SQLState {})", e.getSQLState(), e);
    return new ApiException(ErrorCode.UNAVAILABLE, "the label store is unavailable", e);
  }

  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
  }

  @Override
  public void close() {
    pool.close();
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
