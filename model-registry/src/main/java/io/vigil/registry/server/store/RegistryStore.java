package io.vigil.registry.server.store;

import static java.util.Objects.requireNonNull;

import io.vigil.registry.server.ErrorCode;
import io.vigil.registry.server.MlflowException;
import io.vigil.registry.server.store.Entities.AliasChange;
import io.vigil.registry.server.store.Entities.Experiment;
import io.vigil.registry.server.store.Entities.Metric;
import io.vigil.registry.server.store.Entities.ModelVersion;
import io.vigil.registry.server.store.Entities.RegisteredModel;
import io.vigil.registry.server.store.Entities.Run;
import io.vigil.registry.server.store.Entities.RunInfo;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.LongFunction;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracking and registry metadata over JDBC (H2 or PostgreSQL). Every write runs in one
 * transaction; model version numbers are allocated under a row lock on the registered model, so
 * concurrent creations get distinct, increasing versions. SQL errors never leave this class: they
 * become {@link MlflowException}s with safe messages (the details go to the log).
 */
public final class RegistryStore {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryStore.class);

  public static final String ACTIVE = "active";
  public static final String DELETED = "deleted";
  public static final Set<String> STAGES = Set.of("None", "Staging", "Production", "Archived");
  public static final Set<String> RUN_STATUSES =
      Set.of("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED");
  private static final String UNIQUE_VIOLATION = "23505";
  private static final int MAX_VERSION_ATTEMPTS = 10;

  private final DataSource ds;
  private final Clock clock;

  public RegistryStore(DataSource ds, Clock clock) {
    this.ds = requireNonNull(ds, "ds");
    this.clock = requireNonNull(clock, "clock");
  }

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T tx(String what, Work<T> work) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw translate(what, e);
    }
  }

  /**
   * Sorts SQL failures into the caller's fault (400), a clash (already exists), retriable trouble
   * (503: lock timeouts, deadlocks, lost connections) and bugs (500). The message never carries SQL.
   */
  private static MlflowException translate(String what, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (UNIQUE_VIOLATION.equals(state)) {
      return new MlflowException(ErrorCode.RESOURCE_ALREADY_EXISTS, what + ": already exists");
    }
    if (state.startsWith("22") || state.startsWith("23")) {
      LOG.debug("rejected value in {}: {}", what, e.getMessage());
      return new MlflowException(ErrorCode.INVALID_PARAMETER_VALUE,
          what + ": a value is too long or not valid", e);
    }
    if (state.startsWith("08") || state.startsWith("40") || state.equals("HYT00") || state.equals("57P01")) {
      LOG.warn("database unavailable in {}: {}", what, e.getMessage());
      return new MlflowException(ErrorCode.TEMPORARILY_UNAVAILABLE,
          what + " failed: the metadata store is busy or unavailable; retry", e);
    }
    LOG.error("database error in {}", what, e);
    return new MlflowException(ErrorCode.INTERNAL_ERROR, what + " failed: internal error", e);
  }

  private long now() {
    return clock.millis();
  }

  /** True if the database answers. */
  public boolean ping() {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("SELECT 1");
      return true;
    } catch (SQLException e) {
      LOG.warn("database ping failed: {}", e.getMessage());
      return false;
    }
  }

  // ---------------------------------------------------------------- experiments

  /** Creates experiment 0 ("Default") if missing. */
  public void ensureDefaultExperiment(String artifactLocation) {
    tx("create default experiment", c -> {
      try (PreparedStatement p = c.prepareStatement(
          "SELECT 1 FROM experiments WHERE experiment_id = 0")) {
        if (p.executeQuery().next()) {
          return null;
        }
      }
      long t = now();
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage,"
              + " creation_time, last_update_time) VALUES (0, 'Default', ?, ?, ?, ?)")) {
        p.setString(1, artifactLocation);
        p.setString(2, ACTIVE);
        p.setLong(3, t);
        p.setLong(4, t);
        p.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Creates an experiment. {@code artifactLocation} null means {@code defaultLocation} of the new
   * id.
   */
  public long createExperiment(String name, String artifactLocation,
      LongFunction<String> defaultLocation, Map<String, String> tags) {
    return tx("experiment '" + name + "'", c -> {
      if (findExperimentByName(c, name).isPresent()) {
        throw MlflowException.exists("Experiment '" + name + "' already exists.");
      }
      long t = now();
      long id;
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time,"
              + " last_update_time) VALUES (?, ?, ?, ?, ?)",
          Statement.RETURN_GENERATED_KEYS)) {
        p.setString(1, name);
        p.setString(2, artifactLocation == null ? "" : artifactLocation);
        p.setString(3, ACTIVE);
        p.setLong(4, t);
        p.setLong(5, t);
        p.executeUpdate();
        try (ResultSet keys = p.getGeneratedKeys()) {
          keys.next();
          id = keys.getLong(1);
        }
      }
      if (artifactLocation == null) {
        try (PreparedStatement p = c.prepareStatement(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?")) {
          p.setString(1, defaultLocation.apply(id));
          p.setLong(2, id);
          p.executeUpdate();
        }
      }
      for (Map.Entry<String, String> e : tags.entrySet()) {
        upsertExperimentTag(c, id, e.getKey(), e.getValue());
      }
      return id;
    });
  }

  public Experiment getExperiment(long id) {
    return tx("get experiment", c -> experiment(c, id)
        .orElseThrow(() -> MlflowException.notFound("No Experiment with id=" + id + " exists")));
  }

  public Optional<Experiment> findExperimentByName(String name) {
    return tx("get experiment", c -> findExperimentByName(c, name));
  }

  public List<Experiment> allExperiments() {
    return tx("search experiments", c -> {
      List<Long> ids = new ArrayList<>();
      try (PreparedStatement p = c.prepareStatement(
          "SELECT experiment_id FROM experiments ORDER BY experiment_id")) {
        ResultSet rs = p.executeQuery();
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
      List<Experiment> out = new ArrayList<>();
      for (long id : ids) {
        experiment(c, id).ifPresent(out::add);
      }
      return out;
    });
  }

  public void renameExperiment(long id, String newName) {
    tx("rename experiment", c -> {
      requireExperiment(c, id);
      Optional<Experiment> other = findExperimentByName(c, newName);
      if (other.isPresent() && other.get().id() != id) {
        throw MlflowException.exists("Experiment '" + newName + "' already exists.");
      }
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?")) {
        p.setString(1, newName);
        p.setLong(2, now());
        p.setLong(3, id);
        p.executeUpdate();
      }
      return null;
    });
  }

  /** Deletes (soft) or restores an experiment and its runs. */
  public void setExperimentLifecycle(long id, String stage) {
    tx("update experiment", c -> {
      Experiment e = requireExperiment(c, id);
      if (id == 0 && DELETED.equals(stage)) {
        throw MlflowException.invalid("Cannot delete the default experiment '0'.");
      }
      String expected = DELETED.equals(stage) ? ACTIVE : DELETED;
      if (!expected.equals(e.lifecycleStage())) {
        throw new MlflowException(ErrorCode.INVALID_STATE,
            "Experiment " + id + " is already " + e.lifecycleStage() + ".");
      }
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?")) {
        p.setString(1, stage);
        p.setLong(2, now());
        p.setLong(3, id);
        p.executeUpdate();
      }
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE runs SET lifecycle_stage = ? WHERE experiment_id = ?")) {
        p.setString(1, stage);
        p.setLong(2, id);
        p.executeUpdate();
      }
      return null;
    });
  }

  public void setExperimentTag(long id, String key, String value) {
    tx("set experiment tag", c -> {
      Experiment e = requireExperiment(c, id);
      if (!ACTIVE.equals(e.lifecycleStage())) {
        throw new MlflowException(ErrorCode.INVALID_STATE,
            "The experiment " + id + " must be in the 'active' state.");
      }
      upsertExperimentTag(c, id, key, value);
      return null;
    });
  }

  private void upsertExperimentTag(Connection c, long id, String key, String value)
      throws SQLException {
    upsert(c, "DELETE FROM experiment_tags WHERE experiment_id = ? AND tag_key = ?",
        "INSERT INTO experiment_tags (experiment_id, tag_key, tag_value) VALUES (?, ?, ?)",
        List.of(id, key), value);
  }

  private Experiment requireExperiment(Connection c, long id) throws SQLException {
    return experiment(c, id)
        .orElseThrow(() -> MlflowException.notFound("No Experiment with id=" + id + " exists"));
  }

  private Optional<Experiment> findExperimentByName(Connection c, String name) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT experiment_id FROM experiments WHERE name = ?")) {
      p.setString(1, name);
      ResultSet rs = p.executeQuery();
      if (!rs.next()) {
        return Optional.empty();
      }
      return experiment(c, rs.getLong(1));
    }
  }

  private Optional<Experiment> experiment(Connection c, long id) throws SQLException {
    Map<String, String> tags = new TreeMap<>();
    try (PreparedStatement p = c.prepareStatement(
        "SELECT tag_key, tag_value FROM experiment_tags WHERE experiment_id = ?")) {
      p.setLong(1, id);
      ResultSet rs = p.executeQuery();
      while (rs.next()) {
        tags.put(rs.getString(1), rs.getString(2));
      }
    }
    try (PreparedStatement p = c.prepareStatement(
        "SELECT name, artifact_location, lifecycle_stage, creation_time, last_update_time"
            + " FROM experiments WHERE experiment_id = ?")) {
      p.setLong(1, id);
      ResultSet rs = p.executeQuery();
      if (!rs.next()) {
        return Optional.empty();
      }
      return Optional.of(new Experiment(id, rs.getString(1), rs.getString(2), rs.getString(3),
          rs.getLong(4), rs.getLong(5), tags));
    }
  }

  // ---------------------------------------------------------------- runs

  public RunInfo createRun(long experimentId, String userId, String runName, long startTime,
      Map<String, String> tags) {
    return tx("create run", c -> {
      Experiment e = requireExperiment(c, experimentId);
      if (!ACTIVE.equals(e.lifecycleStage())) {
        throw new MlflowException(ErrorCode.INVALID_STATE,
            "The experiment " + experimentId + " must be in the 'active' state.");
      }
      String runId = UUID.randomUUID().toString().replace("-", "");
      String name = runName == null || runName.isBlank() ? "run-" + runId.substring(0, 8) : runName;
      String artifactUri = stripSlash(e.artifactLocation()) + "/" + runId + "/artifacts";
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO runs (run_uuid, run_name, experiment_id, user_id, status, start_time,"
              + " end_time, artifact_uri, lifecycle_stage) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)")) {
        p.setString(1, runId);
        p.setString(2, name);
        p.setLong(3, experimentId);
        p.setString(4, userId == null ? "" : userId);
        p.setString(5, "RUNNING");
        p.setLong(6, startTime);
        p.setString(7, artifactUri);
        p.setString(8, ACTIVE);
        p.executeUpdate();
      }
      Map<String, String> allTags = new LinkedHashMap<>(tags);
      allTags.put("mlflow.runName", name);
      if (userId != null && !userId.isEmpty()) {
        allTags.putIfAbsent("mlflow.user", userId);
      }
      for (Map.Entry<String, String> t : allTags.entrySet()) {
        upsertRunTag(c, runId, t.getKey(), t.getValue());
      }
      return runInfo(c, runId).orElseThrow();
    });
  }

  public Run getRun(String runId) {
    return tx("get run", c -> run(c, runId)
        .orElseThrow(() -> MlflowException.notFound("Run '" + runId + "' not found")));
  }

  public RunInfo updateRun(String runId, String status, Long endTime, String runName) {
    return tx("update run", c -> {
      RunInfo info = requireActiveRun(c, runId);
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE runs SET status = ?, end_time = ?, run_name = ? WHERE run_uuid = ?")) {
        p.setString(1, status == null ? info.status() : status);
        Long end = endTime == null ? info.endTime() : endTime;
        if (end == null) {
          p.setNull(2, Types.BIGINT);
        } else {
          p.setLong(2, end);
        }
        p.setString(3, runName == null || runName.isBlank() ? info.runName() : runName);
        p.setString(4, runId);
        p.executeUpdate();
      }
      if (runName != null && !runName.isBlank()) {
        upsertRunTag(c, runId, "mlflow.runName", runName);
      }
      return runInfo(c, runId).orElseThrow();
    });
  }

  public void setRunLifecycle(String runId, String stage) {
    tx("update run", c -> {
      runInfo(c, runId).orElseThrow(() -> MlflowException.notFound("Run '" + runId + "' not found"));
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE runs SET lifecycle_stage = ? WHERE run_uuid = ?")) {
        p.setString(1, stage);
        p.setString(2, runId);
        p.executeUpdate();
      }
      return null;
    });
  }

  /** Logs metrics, params and tags of one run atomically (log-metric, log-param, set-tag, log-batch). */
  public void logBatch(String runId, List<Metric> metrics, Map<String, String> params,
      Map<String, String> tags) {
    tx("log batch", c -> {
      requireActiveRun(c, runId);
      for (Map.Entry<String, String> e : params.entrySet()) {
        try (PreparedStatement p = c.prepareStatement(
            "SELECT param_value FROM params WHERE run_uuid = ? AND param_key = ?")) {
          p.setString(1, runId);
          p.setString(2, e.getKey());
          ResultSet rs = p.executeQuery();
          if (rs.next()) {
            if (!rs.getString(1).equals(e.getValue())) {
              throw MlflowException.invalid("Changing param values is not allowed. Param with key='"
                  + e.getKey() + "' was already logged with a different value.");
            }
            continue;
          }
        }
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO params (run_uuid, param_key, param_value) VALUES (?, ?, ?)")) {
          p.setString(1, runId);
          p.setString(2, e.getKey());
          p.setString(3, e.getValue());
          p.executeUpdate();
        }
      }
      if (!metrics.isEmpty()) {
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO metrics (run_uuid, metric_key, metric_value, ts, step) VALUES (?, ?, ?, ?, ?)")) {
          for (Metric m : metrics) {
            p.setString(1, runId);
            p.setString(2, m.key());
            p.setDouble(3, m.value());
            p.setLong(4, m.timestamp());
            p.setLong(5, m.step());
            p.addBatch();
          }
          p.executeBatch();
        }
      }
      for (Map.Entry<String, String> e : tags.entrySet()) {
        upsertRunTag(c, runId, e.getKey(), e.getValue());
        if ("mlflow.runName".equals(e.getKey())) {
          try (PreparedStatement p = c.prepareStatement(
              "UPDATE runs SET run_name = ? WHERE run_uuid = ?")) {
            p.setString(1, e.getValue());
            p.setString(2, runId);
            p.executeUpdate();
          }
        }
      }
      return null;
    });
  }

  public void deleteRunTag(String runId, String key) {
    tx("delete tag", c -> {
      requireActiveRun(c, runId);
      try (PreparedStatement p = c.prepareStatement(
          "DELETE FROM run_tags WHERE run_uuid = ? AND tag_key = ?")) {
        p.setString(1, runId);
        p.setString(2, key);
        if (p.executeUpdate() == 0) {
          throw MlflowException.notFound("No tag with name: " + key + " in run with id " + runId);
        }
      }
      return null;
    });
  }

  public List<Metric> metricHistory(String runId, String key) {
    return tx("get metric history", c -> {
      runInfo(c, runId).orElseThrow(() -> MlflowException.notFound("Run '" + runId + "' not found"));
      List<Metric> out = new ArrayList<>();
      try (PreparedStatement p = c.prepareStatement(
          "SELECT metric_value, ts, step FROM metrics WHERE run_uuid = ? AND metric_key = ?"
              + " ORDER BY step, ts, id")) {
        p.setString(1, runId);
        p.setString(2, key);
        ResultSet rs = p.executeQuery();
        while (rs.next()) {
          out.add(new Metric(key, rs.getDouble(1), rs.getLong(2), rs.getLong(3)));
        }
      }
      return out;
    });
  }

  /** Every run of the given experiments, with latest metrics, params and tags. */
  public List<Run> runsOf(List<Long> experimentIds) {
    return tx("search runs", c -> {
      List<Run> out = new ArrayList<>();
      for (long id : experimentIds) {
        List<String> runIds = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(
            "SELECT run_uuid FROM runs WHERE experiment_id = ?")) {
          p.setLong(1, id);
          ResultSet rs = p.executeQuery();
          while (rs.next()) {
            runIds.add(rs.getString(1));
          }
        }
        for (String r : runIds) {
          run(c, r).ifPresent(out::add);
        }
      }
      return out;
    });
  }

  private RunInfo requireActiveRun(Connection c, String runId) throws SQLException {
    RunInfo info = runInfo(c, runId)
        .orElseThrow(() -> MlflowException.notFound("Run '" + runId + "' not found"));
    if (!ACTIVE.equals(info.lifecycleStage())) {
      throw new MlflowException(ErrorCode.INVALID_STATE,
          "The run " + runId + " must be in the 'active' state. Current state is "
              + info.lifecycleStage() + ".");
    }
    return info;
  }

  private void upsertRunTag(Connection c, String runId, String key, String value)
      throws SQLException {
    upsert(c, "DELETE FROM run_tags WHERE run_uuid = ? AND tag_key = ?",
        "INSERT INTO run_tags (run_uuid, tag_key, tag_value) VALUES (?, ?, ?)",
        List.of(runId, key), value);
  }

  private Optional<RunInfo> runInfo(Connection c, String runId) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT run_name, experiment_id, user_id, status, start_time, end_time, artifact_uri,"
            + " lifecycle_stage FROM runs WHERE run_uuid = ?")) {
      p.setString(1, runId);
      ResultSet rs = p.executeQuery();
      if (!rs.next()) {
        return Optional.empty();
      }
      long end = rs.getLong(6);
      Long endTime = rs.wasNull() ? null : end;
      return Optional.of(new RunInfo(runId, rs.getString(1), rs.getLong(2), rs.getString(3),
          rs.getString(4), rs.getLong(5), endTime, rs.getString(7), rs.getString(8)));
    }
  }

  private Optional<Run> run(Connection c, String runId) throws SQLException {
    Optional<RunInfo> info = runInfo(c, runId);
    if (info.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Metric> latest = new TreeMap<>();
    try (PreparedStatement p = c.prepareStatement(
        "SELECT metric_key, metric_value, ts, step FROM metrics WHERE run_uuid = ?"
            + " ORDER BY step, ts, id")) {
      p.setString(1, runId);
      ResultSet rs = p.executeQuery();
      while (rs.next()) {
        latest.put(rs.getString(1),
            new Metric(rs.getString(1), rs.getDouble(2), rs.getLong(3), rs.getLong(4)));
      }
    }
    Map<String, String> params = keyValues(c,
        "SELECT param_key, param_value FROM params WHERE run_uuid = ?", runId);
    Map<String, String> tags = keyValues(c,
        "SELECT tag_key, tag_value FROM run_tags WHERE run_uuid = ?", runId);
    return Optional.of(new Run(info.get(), List.copyOf(latest.values()), params, tags));
  }

  // ---------------------------------------------------------------- registered models

  public RegisteredModel createRegisteredModel(String name, String description,
      Map<String, String> tags, String userId) {
    return tx("registered model '" + name + "'", c -> {
      if (registeredModel(c, name).isPresent()) {
        throw MlflowException.exists("Registered Model (name=" + name + ") already exists.");
      }
      long t = now();
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO registered_models (name, creation_time, last_updated_time, description,"
              + " user_id) VALUES (?, ?, ?, ?, ?)")) {
        p.setString(1, name);
        p.setLong(2, t);
        p.setLong(3, t);
        p.setString(4, description);
        p.setString(5, userId);
        p.executeUpdate();
      }
      for (Map.Entry<String, String> e : tags.entrySet()) {
        upsertModelTag(c, name, e.getKey(), e.getValue());
      }
      return registeredModel(c, name).orElseThrow();
    });
  }

  public RegisteredModel getRegisteredModel(String name) {
    return tx("get registered model", c -> requireModel(c, name));
  }

  public List<RegisteredModel> allRegisteredModels() {
    return tx("search registered models", c -> {
      List<String> names = new ArrayList<>();
      try (PreparedStatement p = c.prepareStatement(
          "SELECT name FROM registered_models ORDER BY name")) {
        ResultSet rs = p.executeQuery();
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      List<RegisteredModel> out = new ArrayList<>();
      for (String n : names) {
        registeredModel(c, n).ifPresent(out::add);
      }
      return out;
    });
  }

  public RegisteredModel renameRegisteredModel(String name, String newName) {
    return tx("registered model '" + newName + "'", c -> {
      lockModel(c, name);
      if (registeredModel(c, newName).isPresent()) {
        throw MlflowException.exists("Registered Model (name=" + newName + ") already exists.");
      }
      for (String table : List.of("registered_models", "registered_model_tags", "model_versions",
          "model_version_tags", "registered_model_aliases", "alias_history")) {
        try (PreparedStatement p = c.prepareStatement(
            "UPDATE " + table + " SET name = ? WHERE name = ?")) {
          p.setString(1, newName);
          p.setString(2, name);
          p.executeUpdate();
        }
      }
      touchModel(c, newName);
      return registeredModel(c, newName).orElseThrow();
    });
  }

  public RegisteredModel updateRegisteredModel(String name, String description) {
    return tx("update registered model", c -> {
      lockModel(c, name);
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?")) {
        p.setString(1, description);
        p.setLong(2, now());
        p.setString(3, name);
        p.executeUpdate();
      }
      return registeredModel(c, name).orElseThrow();
    });
  }

  /** Deletes a model, its versions, tags and aliases; the alias removals go into the history. */
  public void deleteRegisteredModel(String name, String actor) {
    tx("delete registered model", c -> {
      lockModel(c, name);
      for (Map.Entry<String, Integer> a : aliases(c, name).entrySet()) {
        appendHistory(c, name, a.getKey(), null, a.getValue(), actor, "registered model deleted");
      }
      for (String table : List.of("registered_model_aliases", "model_version_tags",
          "model_versions", "registered_model_tags", "registered_models")) {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM " + table + " WHERE name = ?")) {
          p.setString(1, name);
          p.executeUpdate();
        }
      }
      return null;
    });
  }

  public void setRegisteredModelTag(String name, String key, String value) {
    tx("set registered model tag", c -> {
      lockModel(c, name);
      upsertModelTag(c, name, key, value);
      touchModel(c, name);
      return null;
    });
  }

  public void deleteRegisteredModelTag(String name, String key) {
    tx("delete registered model tag", c -> {
      lockModel(c, name);
      try (PreparedStatement p = c.prepareStatement(
          "DELETE FROM registered_model_tags WHERE name = ? AND tag_key = ?")) {
        p.setString(1, name);
        p.setString(2, key);
        p.executeUpdate();
      }
      return null;
    });
  }

  private void upsertModelTag(Connection c, String name, String key, String value)
      throws SQLException {
    upsert(c, "DELETE FROM registered_model_tags WHERE name = ? AND tag_key = ?",
        "INSERT INTO registered_model_tags (name, tag_key, tag_value) VALUES (?, ?, ?)",
        List.of(name, key), value);
  }

  private void touchModel(Connection c, String name) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "UPDATE registered_models SET last_updated_time = ? WHERE name = ?")) {
      p.setLong(1, now());
      p.setString(2, name);
      p.executeUpdate();
    }
  }

  /** Locks the model's row for the rest of the transaction, or fails if there is no such model. */
  private void lockModel(Connection c, String name) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT name FROM registered_models WHERE name = ? FOR UPDATE")) {
      p.setString(1, name);
      if (!p.executeQuery().next()) {
        throw MlflowException.notFound("Registered Model with name=" + name + " not found");
      }
    }
  }

  private RegisteredModel requireModel(Connection c, String name) throws SQLException {
    return registeredModel(c, name).orElseThrow(
        () -> MlflowException.notFound("Registered Model with name=" + name + " not found"));
  }

  private Optional<RegisteredModel> registeredModel(Connection c, String name) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT creation_time, last_updated_time, description, user_id FROM registered_models"
            + " WHERE name = ?")) {
      p.setString(1, name);
      ResultSet rs = p.executeQuery();
      if (!rs.next()) {
        return Optional.empty();
      }
      long created = rs.getLong(1);
      long updated = rs.getLong(2);
      String description = rs.getString(3);
      String user = rs.getString(4);
      Map<String, String> tags = keyValues(c,
          "SELECT tag_key, tag_value FROM registered_model_tags WHERE name = ?", name);
      return Optional.of(new RegisteredModel(name, created, updated, description, user, tags,
          aliases(c, name)));
    }
  }

  private Map<String, Integer> aliases(Connection c, String name) throws SQLException {
    Map<String, Integer> out = new TreeMap<>();
    try (PreparedStatement p = c.prepareStatement(
        "SELECT alias, version FROM registered_model_aliases WHERE name = ?")) {
      p.setString(1, name);
      ResultSet rs = p.executeQuery();
      while (rs.next()) {
        out.put(rs.getString(1), rs.getInt(2));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- model versions

  /**
   * Creates the next version of a model. The version number is allocated under a row lock on the
   * registered model; a unique-key clash (another writer without the lock) is retried.
   */
  public ModelVersion createModelVersion(String name, String source, String runId, String runLink,
      String description, String userId, Map<String, String> tags) {
    for (int attempt = 1; ; attempt++) {
      try {
        return tx("model version of '" + name + "'", c -> {
          lockModel(c, name);
          int version;
          try (PreparedStatement p = c.prepareStatement(
              "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = ?")) {
            p.setString(1, name);
            ResultSet rs = p.executeQuery();
            rs.next();
            version = rs.getInt(1);
          }
          long t = now();
          try (PreparedStatement p = c.prepareStatement(
              "INSERT INTO model_versions (name, version, creation_time, last_updated_time,"
                  + " description, user_id, current_stage, source, run_id, run_link, status,"
                  + " status_message) VALUES (?, ?, ?, ?, ?, ?, 'None', ?, ?, ?, 'READY', NULL)")) {
            p.setString(1, name);
            p.setInt(2, version);
            p.setLong(3, t);
            p.setLong(4, t);
            p.setString(5, description);
            p.setString(6, userId);
            p.setString(7, source);
            p.setString(8, runId);
            p.setString(9, runLink);
            p.executeUpdate();
          }
          for (Map.Entry<String, String> e : tags.entrySet()) {
            upsertVersionTag(c, name, version, e.getKey(), e.getValue());
          }
          touchModel(c, name);
          return modelVersion(c, name, version).orElseThrow();
        });
      } catch (MlflowException e) {
        if (e.code() != ErrorCode.RESOURCE_ALREADY_EXISTS || attempt >= MAX_VERSION_ATTEMPTS) {
          throw e;
        }
        LOG.debug("version clash on '{}', attempt {}; retrying", name, attempt);
      }
    }
  }

  public ModelVersion getModelVersion(String name, int version) {
    return tx("get model version", c -> requireVersion(c, name, version));
  }

  public List<ModelVersion> versionsOf(String name) {
    return tx("get model versions", c -> {
      requireModel(c, name);
      return versions(c, name);
    });
  }

  public List<ModelVersion> allModelVersions() {
    return tx("search model versions", c -> {
      List<String> names = new ArrayList<>();
      try (PreparedStatement p = c.prepareStatement(
          "SELECT name FROM registered_models ORDER BY name")) {
        ResultSet rs = p.executeQuery();
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      List<ModelVersion> out = new ArrayList<>();
      for (String n : names) {
        out.addAll(versions(c, n));
      }
      return out;
    });
  }

  public ModelVersion updateModelVersion(String name, int version, String description) {
    return tx("update model version", c -> {
      lockModel(c, name);
      requireVersion(c, name, version);
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE model_versions SET description = ?, last_updated_time = ?"
              + " WHERE name = ? AND version = ?")) {
        p.setString(1, description);
        p.setLong(2, now());
        p.setString(3, name);
        p.setInt(4, version);
        p.executeUpdate();
      }
      return requireVersion(c, name, version);
    });
  }

  public ModelVersion transitionStage(String name, int version, String stage,
      boolean archiveExisting) {
    return tx("transition model version stage", c -> {
      lockModel(c, name);
      requireVersion(c, name, version);
      long t = now();
      if (archiveExisting && ("Staging".equals(stage) || "Production".equals(stage))) {
        try (PreparedStatement p = c.prepareStatement(
            "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ?"
                + " WHERE name = ? AND version <> ? AND current_stage = ?")) {
          p.setLong(1, t);
          p.setString(2, name);
          p.setInt(3, version);
          p.setString(4, stage);
          p.executeUpdate();
        }
      }
      try (PreparedStatement p = c.prepareStatement(
          "UPDATE model_versions SET current_stage = ?, last_updated_time = ?"
              + " WHERE name = ? AND version = ?")) {
        p.setString(1, stage);
        p.setLong(2, t);
        p.setString(3, name);
        p.setInt(4, version);
        p.executeUpdate();
      }
      touchModel(c, name);
      return requireVersion(c, name, version);
    });
  }

  /** Deletes a version; aliases pointing at it are removed and the removals recorded. */
  public void deleteModelVersion(String name, int version, String actor) {
    tx("delete model version", c -> {
      lockModel(c, name);
      requireVersion(c, name, version);
      for (Map.Entry<String, Integer> a : aliases(c, name).entrySet()) {
        if (a.getValue() == version) {
          appendHistory(c, name, a.getKey(), null, version, actor, "model version deleted");
        }
      }
      for (String table : List.of("registered_model_aliases", "model_version_tags",
          "model_versions")) {
        try (PreparedStatement p = c.prepareStatement(
            "DELETE FROM " + table + " WHERE name = ? AND version = ?")) {
          p.setString(1, name);
          p.setInt(2, version);
          p.executeUpdate();
        }
      }
      touchModel(c, name);
      return null;
    });
  }

  public void setModelVersionTag(String name, int version, String key, String value) {
    tx("set model version tag", c -> {
      lockModel(c, name);
      requireVersion(c, name, version);
      upsertVersionTag(c, name, version, key, value);
      return null;
    });
  }

  public void deleteModelVersionTag(String name, int version, String key) {
    tx("delete model version tag", c -> {
      lockModel(c, name);
      requireVersion(c, name, version);
      try (PreparedStatement p = c.prepareStatement(
          "DELETE FROM model_version_tags WHERE name = ? AND version = ? AND tag_key = ?")) {
        p.setString(1, name);
        p.setInt(2, version);
        p.setString(3, key);
        p.executeUpdate();
      }
      return null;
    });
  }

  private void upsertVersionTag(Connection c, String name, int version, String key, String value)
      throws SQLException {
    upsert(c, "DELETE FROM model_version_tags WHERE name = ? AND version = ? AND tag_key = ?",
        "INSERT INTO model_version_tags (name, version, tag_key, tag_value) VALUES (?, ?, ?, ?)",
        List.of(name, version, key), value);
  }

  private ModelVersion requireVersion(Connection c, String name, int version) throws SQLException {
    return modelVersion(c, name, version).orElseThrow(() -> MlflowException.notFound(
        "Model Version (name=" + name + ", version=" + version + ") not found"));
  }

  private List<ModelVersion> versions(Connection c, String name) throws SQLException {
    List<Integer> numbers = new ArrayList<>();
    try (PreparedStatement p = c.prepareStatement(
        "SELECT version FROM model_versions WHERE name = ? ORDER BY version")) {
      p.setString(1, name);
      ResultSet rs = p.executeQuery();
      while (rs.next()) {
        numbers.add(rs.getInt(1));
      }
    }
    List<ModelVersion> out = new ArrayList<>();
    for (int v : numbers) {
      modelVersion(c, name, v).ifPresent(out::add);
    }
    return out;
  }

  private Optional<ModelVersion> modelVersion(Connection c, String name, int version)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(
        "SELECT creation_time, last_updated_time, description, user_id, current_stage, source,"
            + " run_id, run_link, status, status_message FROM model_versions"
            + " WHERE name = ? AND version = ?")) {
      p.setString(1, name);
      p.setInt(2, version);
      ResultSet rs = p.executeQuery();
      if (!rs.next()) {
        return Optional.empty();
      }
      long created = rs.getLong(1);
      long updated = rs.getLong(2);
      String description = rs.getString(3);
      String user = rs.getString(4);
      String stage = rs.getString(5);
      String source = rs.getString(6);
      String runId = rs.getString(7);
      String runLink = rs.getString(8);
      String status = rs.getString(9);
      String statusMessage = rs.getString(10);
      Map<String, String> tags = new TreeMap<>();
      try (PreparedStatement t = c.prepareStatement(
          "SELECT tag_key, tag_value FROM model_version_tags WHERE name = ? AND version = ?")) {
        t.setString(1, name);
        t.setInt(2, version);
        ResultSet trs = t.executeQuery();
        while (trs.next()) {
          tags.put(trs.getString(1), trs.getString(2));
        }
      }
      List<String> aliases = new ArrayList<>();
      for (Map.Entry<String, Integer> a : aliases(c, name).entrySet()) {
        if (a.getValue() == version) {
          aliases.add(a.getKey());
        }
      }
      return Optional.of(new ModelVersion(name, version, created, updated, description, user,
          stage, source, runId, runLink, status, statusMessage, tags, aliases));
    }
  }

  // ---------------------------------------------------------------- aliases

  /** Points an alias at a version and appends the move to the alias history. */
  public AliasChange setAlias(String name, String alias, int version, String actor, String reason) {
    return tx("set alias", c -> {
      lockModel(c, name);
      requireVersion(c, name, version);
      Integer previous = aliases(c, name).get(alias);
      try (PreparedStatement p = c.prepareStatement(
          "DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?")) {
        p.setString(1, name);
        p.setString(2, alias);
        p.executeUpdate();
      }
      try (PreparedStatement p = c.prepareStatement(
          "INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?)")) {
        p.setString(1, name);
        p.setString(2, alias);
        p.setInt(3, version);
        p.executeUpdate();
      }
      touchModel(c, name);
      return appendHistory(c, name, alias, version, previous, actor, reason);
    });
  }

  public AliasChange deleteAlias(String name, String alias, String actor, String reason) {
    return tx("delete alias", c -> {
      lockModel(c, name);
      Integer previous = aliases(c, name).get(alias);
      if (previous == null) {
        throw MlflowException.notFound(
            "Registered model alias " + alias + " not found for model " + name);
      }
      try (PreparedStatement p = c.prepareStatement(
          "DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?")) {
        p.setString(1, name);
        p.setString(2, alias);
        p.executeUpdate();
      }
      touchModel(c, name);
      return appendHistory(c, name, alias, null, previous, actor, reason);
    });
  }

  public ModelVersion getVersionByAlias(String name, String alias) {
    return tx("get model version by alias", c -> {
      requireModel(c, name);
      Integer version = aliases(c, name).get(alias);
      if (version == null) {
        throw MlflowException.notFound(
            "Registered model alias " + alias + " not found for model " + name);
      }
      return requireVersion(c, name, version);
    });
  }

  /** The alias history of a model (optionally one alias), newest first. */
  public List<AliasChange> aliasHistory(String name, String alias) {
    return tx("get alias history", c -> {
      String sql = "SELECT alias, new_version, previous_version, actor, reason, changed_at"
          + " FROM alias_history WHERE name = ?" + (alias == null ? "" : " AND alias = ?")
          + " ORDER BY id DESC";
      List<AliasChange> out = new ArrayList<>();
      try (PreparedStatement p = c.prepareStatement(sql)) {
        p.setString(1, name);
        if (alias != null) {
          p.setString(2, alias);
        }
        ResultSet rs = p.executeQuery();
        while (rs.next()) {
          int v = rs.getInt(2);
          Integer version = rs.wasNull() ? null : v;
          int pv = rs.getInt(3);
          Integer previous = rs.wasNull() ? null : pv;
          out.add(new AliasChange(name, rs.getString(1), version, previous, rs.getString(4),
              rs.getString(5), rs.getLong(6)));
        }
      }
      if (out.isEmpty()) {
        requireModel(c, name);
      }
      return out;
    });
  }

  private AliasChange appendHistory(Connection c, String name, String alias, Integer version,
      Integer previous, String actor, String reason) throws SQLException {
    long t = now();
    try (PreparedStatement p = c.prepareStatement(
        "INSERT INTO alias_history (name, alias, new_version, previous_version, actor, reason,"
            + " changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      p.setString(1, name);
      p.setString(2, alias);
      setNullableInt(p, 3, version);
      setNullableInt(p, 4, previous);
      p.setString(5, actor);
      p.setString(6, reason);
      p.setLong(7, t);
      p.executeUpdate();
    }
    return new AliasChange(name, alias, version, previous, actor, reason, t);
  }

  // ---------------------------------------------------------------- helpers

  private static void setNullableInt(PreparedStatement p, int index, Integer value)
      throws SQLException {
    if (value == null) {
      p.setNull(index, Types.INTEGER);
    } else {
      p.setInt(index, value);
    }
  }

  private static void upsert(Connection c, String delete, String insert, List<Object> keys,
      String value) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(delete)) {
      for (int i = 0; i < keys.size(); i++) {
        p.setObject(i + 1, keys.get(i));
      }
      p.executeUpdate();
    }
    try (PreparedStatement p = c.prepareStatement(insert)) {
      for (int i = 0; i < keys.size(); i++) {
        p.setObject(i + 1, keys.get(i));
      }
      p.setString(keys.size() + 1, value);
      p.executeUpdate();
    }
  }

  private static Map<String, String> keyValues(Connection c, String sql, String id)
      throws SQLException {
    Map<String, String> out = new HashMap<>();
    try (PreparedStatement p = c.prepareStatement(sql)) {
      p.setString(1, id);
      ResultSet rs = p.executeQuery();
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
