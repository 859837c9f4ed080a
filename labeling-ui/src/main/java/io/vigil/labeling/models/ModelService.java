package io.vigil.labeling.models;

import static java.util.Objects.requireNonNull;

import io.vigil.labeling.ApiException;
import io.vigil.labeling.ErrorCode;
import io.vigil.labeling.store.AuditLog;
import io.vigil.labeling.store.Database;
import io.vigil.labeling.store.Outbox;
import io.vigil.schemas.ModelEvent;
import io.vigil.schemas.ModelEventType;
import io.vigil.schemas.wire.AvroSerde;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models page: champion against challenger, the alias history, and a reviewer's approval or
 * rejection of a promotion. An approval moves the registry's {@code champion} alias first; then the
 * decision, its audit entry and its {@link ModelEvent} are stored in one transaction (the event
 * leaves through the outbox).
 */
public final class ModelService {

  private static final Logger LOG = LoggerFactory.getLogger(ModelService.class);
  private static final AvroSerde<ModelEvent> SERDE = AvroSerde.of(ModelEvent.class);

  public record Side(String alias, String version, String runId, Map<String, String> tags,
      Map<String, Double> metrics) {}

  public record Decision(String modelName, String version, String decision, String actor,
      String reason, long decidedAt) {}

  public record Overview(String modelName, boolean registryConfigured, String registryError,
      Side champion, Side challenger, List<RegistryClient.AliasChange> history,
      List<Decision> decisions) {}

  private final Optional<RegistryClient> registry;
  private final Database db;
  private final String modelName;
  private final String modelEventsTopic;
  private final LongSupplier clock;

  public ModelService(Optional<RegistryClient> registry, Database db, String modelName,
      String modelEventsTopic, LongSupplier clock) {
    this.registry = requireNonNull(registry, "registry");
    this.db = requireNonNull(db, "db");
    this.modelName = requireNonNull(modelName, "modelName");
    this.modelEventsTopic = requireNonNull(modelEventsTopic, "modelEventsTopic");
    this.clock = requireNonNull(clock, "clock");
  }

  public Overview overview() {
    List<Decision> decisions = decisions();
    if (registry.isEmpty()) {
      return new Overview(modelName, false, null, null, null, List.of(), decisions);
    }
    RegistryClient r = registry.get();
    try {
      Side champion = side(r, "champion");
      Side challenger = side(r, "challenger");
      return new Overview(modelName, true, null, champion, challenger, r.aliasHistory(modelName),
          decisions);
    } catch (RegistryClient.RegistryException e) {
      LOG.warn("model registry: {}", e.getMessage());
      return new Overview(modelName, true, "the model registry is unavailable", null, null,
          List.of(), decisions);
    }
  }

  private Side side(RegistryClient r, String alias) {
    return r.alias(modelName, alias)
        .map(v -> new Side(alias, v.version(), v.runId(), v.tags(), r.runMetrics(v.runId())))
        .orElse(null);
  }

  /** Approves (moves {@code champion} to the version) or rejects a promotion, with a reason. */
  public Decision decide(String actor, String version, boolean approve, String reason) {
    if (version == null || !version.matches("[0-9A-Za-z._-]{1,64}")) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "a model version is required");
    }
    if (reason == null || reason.isBlank() || reason.length() > 2000) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "a reason (1-2000 characters) is required");
    }
    RegistryClient r = registry.orElseThrow(() ->
        new ApiException(ErrorCode.UNAVAILABLE, "no model registry is configured"));
    String previous;
    Map<String, Double> metrics;
    try {
      Optional<RegistryClient.ModelVersion> champion = r.alias(modelName, "champion");
      previous = champion.map(RegistryClient.ModelVersion::version).orElse(null);
      Optional<RegistryClient.ModelVersion> candidate = r.alias(modelName, "challenger")
          .filter(v -> v.version().equals(version));
      metrics = candidate.map(v -> r.runMetrics(v.runId())).orElse(Map.of());
      if (approve) {
        r.setAlias(modelName, "champion", version, actor, reason);
      }
    } catch (RegistryClient.RegistryException e) {
      LOG.warn("model registry: {}", e.getMessage());
      throw new ApiException(ErrorCode.UNAVAILABLE, "the model registry is unavailable", e);
    }
    long now = clock.getAsLong();
    String decision = approve ? "APPROVED" : "REJECTED";
    ModelEvent event = ModelEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setModelName(modelName)
        .setModelVersion(version)
        .setType(approve ? ModelEventType.PROMOTION_APPROVED : ModelEventType.PROMOTION_REJECTED)
        .setAlias("champion")
        .setPreviousVersion(previous)
        .setMetrics(metrics)
        .setActor(actor)
        .setReason(reason)
        .setEventTime(Instant.ofEpochMilli(now))
        .build();
    db.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO promotion_decisions (model_name, version, decision, actor, reason, decided_at)"
              + " VALUES (?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, modelName);
        ps.setString(2, version);
        ps.setString(3, decision);
        ps.setString(4, actor);
        ps.setString(5, reason);
        ps.setLong(6, now);
        ps.executeUpdate();
      }
      Outbox.append(c, modelEventsTopic, modelName, SERDE.encode(event), event.getEventId(), now);
      AuditLog.append(c, now, actor, "PROMOTION_" + decision, modelName + " v" + version, reason);
      return null;
    });
    return new Decision(modelName, version, decision, actor, reason, now);
  }

  public List<Decision> decisions() {
    return db.inTransaction(c -> {
      List<Decision> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT model_name, version, decision, actor, reason, decided_at FROM promotion_decisions"
              + " ORDER BY id DESC")) {
        ps.setMaxRows(100);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Decision(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getLong(6)));
          }
        }
      }
      return out;
    });
  }
}
