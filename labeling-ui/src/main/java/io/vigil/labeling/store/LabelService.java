package io.vigil.labeling.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.labeling.ApiException;
import io.vigil.labeling.ErrorCode;
import io.vigil.schemas.IncidentAction;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.wire.AvroSerde;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * Stores labels, undoes them, opens and closes incidents, and resolves conflicts. Every change is
 * one database transaction that also writes its {@link LabelEvent} to the outbox and its audit
 * entry, so an acknowledged label is durable and will be published exactly once.
 */
public final class LabelService {

  /** What an annotator sends. The idempotency key makes a retried submission harmless. */
  public record Submission(String label, List<String> rootCauses, String note, String idempotencyKey) {
    public Submission {
      rootCauses = rootCauses == null ? List.of() : List.copyOf(rootCauses);
    }
  }

  /** The stored label, and whether this call only replayed an earlier identical submission. */
  public record Result(StoredLabel label, boolean replayed) {}

  /** An open or closed incident with the follow-up requests still queued for it. */
  public record Incident(String incidentId, String entity, String status, String sampleId,
      String openedBy, long openedAt, String closedBy, Long closedAt, String resolution,
      List<FollowUp> followUps) {}

  public record FollowUp(String sampleId, long windowEnd, String status) {}

  /** Samples whose annotators disagree and that no reviewer resolved yet. */
  public record Conflict(String sampleId, String entity, List<StoredLabel> labels) {}

  private static final AvroSerde<LabelEvent> SERDE = AvroSerde.of(LabelEvent.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_NOTE = 2000;
  private static final int MAX_ROOT_CAUSES = 50;

  private final Database db;
  private final LongSupplier clock;
  private final String labelsTopic;
  private final long leaseMillis;

  public LabelService(Database db, LongSupplier clock, String labelsTopic, long leaseMillis) {
    this.db = requireNonNull(db, "db");
    this.clock = requireNonNull(clock, "clock");
    this.labelsTopic = requireNonNull(labelsTopic, "labelsTopic");
    this.leaseMillis = leaseMillis;
  }

  // ---------------------------------------------------------------- labels

  /** Stores a label for a task leased to {@code annotator}. */
  public Result submit(String annotator, String sampleId, Submission s) {
    LabelValue value = parseLabel(s.label());
    String key = requireKey(s.idempotencyKey());
    validate(s);
    try {
      return db.inTransaction(c -> {
        Optional<StoredLabel> earlier = byIdempotencyKey(c, annotator, key);
        if (earlier.isPresent()) {
          return replay(earlier.get(), sampleId);
        }
        return doSubmit(c, annotator, sampleId, value, s, key);
      });
    } catch (ApiException e) {
      if (e.code() == ErrorCode.CONFLICT) {
        // a concurrent twin of this submission won the unique key: answer with its result
        Optional<StoredLabel> twin = db.inTransaction(c -> byIdempotencyKey(c, annotator, key));
        if (twin.isPresent()) {
          return replay(twin.get(), sampleId);
        }
      }
      throw e;
    }
  }

  private static Result replay(StoredLabel earlier, String sampleId) {
    if (!earlier.sampleId().equals(sampleId)) {
      throw new ApiException(ErrorCode.CONFLICT, "this idempotency key was used for another task");
    }
    return new Result(earlier, true);
  }

  private Result doSubmit(Connection c, String annotator, String sampleId, LabelValue value,
      Submission s, String key) throws SQLException {
    long now = clock.getAsLong();
    String entity;
    String requestId;
    String followUpOf;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT entity, request_id, incident_id FROM tasks WHERE sample_id = ?")) {
      ps.setString(1, sampleId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new ApiException(ErrorCode.NOT_FOUND, "no such task");
        }
        entity = rs.getString(1);
        requestId = rs.getString(2);
        followUpOf = rs.getString(3);
      }
    }
    Long leaseEnd = null;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT expires_at FROM leases WHERE sample_id = ? AND annotator = ?")) {
      ps.setString(1, sampleId);
      ps.setString(2, annotator);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          leaseEnd = rs.getLong(1);
        }
      }
    }
    if (leaseEnd == null) {
      throw new ApiException(ErrorCode.FORBIDDEN, "this task is not leased to you");
    }
    if (leaseEnd <= now) {
      throw new ApiException(ErrorCode.LEASE_EXPIRED, "your lease on this task expired; take the next one");
    }

    // incidents: an anomaly opens one on the entity (or continues the open one); on a follow-up
    // request, "normal" closes it. A follow-up of an incident closed meanwhile (by a person, or by the
    // answer to another of its follow-ups) is an ordinary window: its "yes" opens or continues as
    // any other would, so the label stream's consumers never see an incident continue that the store
    // has closed.
    String incidentId = followUpOf;
    IncidentAction action = IncidentAction.NONE;
    if (followUpOf != null && isOpen(c, followUpOf)) {
      if (value == LabelValue.ANOMALY) {
        action = IncidentAction.CONTINUED;
      } else if (value == LabelValue.NORMAL && closeIncident(c, followUpOf, annotator, now,
          "the annotator answered that it is over")) {
        action = IncidentAction.CLOSED;
      }
    } else if (value == LabelValue.ANOMALY) {
      Optional<String> open = openIncidentOf(c, entity);
      if (open.isPresent()) {
        incidentId = open.get();
        action = IncidentAction.CONTINUED;
      } else {
        incidentId = "inc-" + UUID.randomUUID();
        action = IncidentAction.OPENED;
      }
    }
    String eventId = UUID.randomUUID().toString();
    if (action == IncidentAction.OPENED) {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO incidents (incident_id, entity, status, sample_id, opened_by, opened_at, opened_event)"
              + " VALUES (?, ?, 'OPEN', ?, ?, ?, ?)")) {
        ps.setString(1, incidentId);
        ps.setString(2, entity);
        ps.setString(3, sampleId);
        ps.setString(4, annotator);
        ps.setLong(5, now);
        ps.setString(6, eventId);
        ps.executeUpdate();
      }
      AuditLog.append(c, now, annotator, "INCIDENT_OPENED", incidentId, "entity " + entity);
    }
    StoredLabel label = new StoredLabel(eventId, "LABEL", sampleId, entity, annotator, value.name(),
        s.rootCauses(), blankToNull(s.note()), now, key, requestId, incidentId, action.name(), null,
        false);
    insert(c, label);
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM leases WHERE sample_id = ? AND annotator = ?")) {
      ps.setString(1, sampleId);
      ps.setString(2, annotator);
      ps.executeUpdate();
    }
    if (value != LabelValue.SKIP) {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE tasks SET done_count = done_count + 1, version = version + 1,"
              + " status = CASE WHEN done_count + 1 >= required_labels THEN 'DONE' ELSE 'OPEN' END"
              + " WHERE sample_id = ?")) {
        ps.setString(1, sampleId);
        ps.executeUpdate();
      }
    }
    publish(c, label);
    AuditLog.append(c, now, annotator, "LABEL", sampleId, value.name() + " event " + eventId);
    return new Result(label, false);
  }

  /**
   * Withdraws the annotator's most recent label: stores and publishes a retracting event ({@code
   * retracts} = the earlier event id) and gives the task back to them.
   */
  public Result undoLast(String annotator, String idempotencyKey) {
    String key = requireKey(idempotencyKey);
    try {
      return db.inTransaction(c -> {
        Optional<StoredLabel> earlier = byIdempotencyKey(c, annotator, key);
        if (earlier.isPresent()) {
          if (!earlier.get().kind().equals("RETRACT")) {
            throw new ApiException(ErrorCode.CONFLICT, "this idempotency key was used for a label");
          }
          return new Result(earlier.get(), true);
        }
        return doUndo(c, annotator, key);
      });
    } catch (ApiException e) {
      if (e.code() == ErrorCode.CONFLICT) {
        Optional<StoredLabel> twin = db.inTransaction(c -> byIdempotencyKey(c, annotator, key));
        if (twin.isPresent() && twin.get().kind().equals("RETRACT")) {
          return new Result(twin.get(), true);
        }
      }
      throw e;
    }
  }

  private Result doUndo(Connection c, String annotator, String key) throws SQLException {
    long now = clock.getAsLong();
    List<StoredLabel> last = query(c,
        "SELECT * FROM labels WHERE annotator = ? AND kind = 'LABEL' AND retracted = FALSE"
            + " ORDER BY seq DESC", List.of(annotator), 1);
    if (last.isEmpty()) {
      throw new ApiException(ErrorCode.NOT_FOUND, "nothing to undo");
    }
    StoredLabel prev = last.get(0);
    if (reviewed(c, prev.sampleId())) {
      throw new ApiException(ErrorCode.CONFLICT, "a reviewer already resolved this sample");
    }
    IncidentAction action = IncidentAction.NONE;
    if ("OPENED".equals(prev.incidentAction())) {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE incidents SET status = 'CLOSED', closed_by = ?, closed_at = ?, resolution = ?"
              + " WHERE incident_id = ? AND status = 'OPEN'")) {
        ps.setString(1, annotator);
        ps.setLong(2, now);
        ps.setString(3, "withdrawn: the label that opened it was undone");
        ps.setString(4, prev.incidentId());
        if (ps.executeUpdate() == 1) {
          action = IncidentAction.CLOSED;
        }
      }
    } else if ("CLOSED".equals(prev.incidentAction())) {
      Optional<String> other = openIncidentOf(c, prev.entity());
      if (other.isPresent()) {
        // An entity has one open incident at a time. Another was opened on it after this close (by
        // someone else's answer), so the withdrawn close stays in effect and the newer incident
        // covers the entity; a new "yes" to this task continues that one.
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE incidents SET resolution = ? WHERE incident_id = ? AND status = 'CLOSED'")) {
          ps.setString(1, "closed; the answer that closed it was undone while incident " + other.get()
              + " was open on the entity");
          ps.setString(2, prev.incidentId());
          ps.executeUpdate();
        }
      } else {
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE incidents SET status = 'OPEN', closed_by = NULL, closed_at = NULL, resolution = NULL"
                + " WHERE incident_id = ? AND status = 'CLOSED'")) {
          ps.setString(1, prev.incidentId());
          if (ps.executeUpdate() == 1) {
            action = IncidentAction.OPENED; // open again: the stream's consumers reopen it too
          }
        }
      }
    }
    String eventId = UUID.randomUUID().toString();
    StoredLabel retraction = new StoredLabel(eventId, "RETRACT", prev.sampleId(), prev.entity(),
        annotator, prev.label(), List.of(), "undo", now, key, prev.requestId(), prev.incidentId(),
        action.name(), prev.eventId(), false);
    insert(c, retraction);
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE labels SET retracted = TRUE WHERE event_id = ?")) {
      ps.setString(1, prev.eventId());
      ps.executeUpdate();
    }
    if (!prev.label().equals(LabelValue.SKIP.name())) {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE tasks SET done_count = done_count - 1, version = version + 1, status = 'OPEN'"
              + " WHERE sample_id = ?")) {
        ps.setString(1, prev.sampleId());
        ps.executeUpdate();
      }
    }
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM leases WHERE sample_id = ? AND annotator = ?")) {
      ps.setString(1, prev.sampleId());
      ps.setString(2, annotator);
      ps.executeUpdate();
    }
    // the task comes straight back to the person who undid it, for a new answer
    TaskQueue.lease(c, prev.sampleId(), annotator, now + leaseMillis);
    publish(c, retraction);
    AuditLog.append(c, now, annotator, "UNDO", prev.sampleId(),
        "retracts " + prev.eventId() + " (" + prev.label() + ")");
    return new Result(retraction, false);
  }

  /** One stored label: annotators only see their own. */
  public StoredLabel get(String eventId, String viewer, boolean reviewer) {
    return db.inTransaction(c -> {
      List<StoredLabel> found = query(c, "SELECT * FROM labels WHERE event_id = ?", List.of(eventId), 1);
      if (found.isEmpty() || (!reviewer && !found.get(0).annotator().equals(viewer))) {
        // the same answer whether it does not exist or is someone else's
        throw new ApiException(ErrorCode.NOT_FOUND, "no such label");
      }
      return found.get(0);
    });
  }

  /** Labels matching an allowlisted filter. */
  public List<StoredLabel> list(LabelFilter f) {
    List<Object> params = new ArrayList<>();
    String sql = "SELECT * FROM labels" + f.whereSql(params) + f.orderSql();
    return db.inTransaction(c -> query(c, sql, params, f.limit()));
  }

  // ------------------------------------------------------------- incidents

  public List<Incident> incidents(boolean openOnly) {
    return db.inTransaction(c -> {
      List<Incident> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT incident_id, entity, status, sample_id, opened_by, opened_at, closed_by, closed_at,"
              + " resolution FROM incidents" + (openOnly ? " WHERE status = 'OPEN'" : "")
              + " ORDER BY opened_at DESC")) {
        ps.setMaxRows(500);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long closedAt = rs.getLong(8);
            Long closed = rs.wasNull() ? null : closedAt;
            out.add(new Incident(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getLong(6), rs.getString(7), closed, rs.getString(9), List.of()));
          }
        }
      }
      List<Incident> withFollowUps = new ArrayList<>();
      for (Incident i : out) {
        List<FollowUp> f = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT sample_id, window_end, status FROM tasks WHERE incident_id = ? ORDER BY window_end")) {
          ps.setString(1, i.incidentId());
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              f.add(new FollowUp(rs.getString(1), rs.getLong(2), rs.getString(3)));
            }
          }
        }
        withFollowUps.add(new Incident(i.incidentId(), i.entity(), i.status(), i.sampleId(),
            i.openedBy(), i.openedAt(), i.closedBy(), i.closedAt(), i.resolution(), f));
      }
      return withFollowUps;
    });
  }

  /** Closes an open incident with a resolution note, and publishes the closing event. */
  public StoredLabel closeIncident(String actor, String incidentId, String resolution,
      String idempotencyKey) {
    String key = requireKey(idempotencyKey);
    if (resolution == null || resolution.isBlank()) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "a resolution note is required");
    }
    if (resolution.length() > MAX_NOTE) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "the resolution note is too long");
    }
    return db.inTransaction(c -> {
      Optional<StoredLabel> earlier = byIdempotencyKey(c, actor, key);
      if (earlier.isPresent()) {
        return earlier.get();
      }
      long now = clock.getAsLong();
      String entity;
      String sampleId;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT entity, sample_id, status FROM incidents WHERE incident_id = ?")) {
        ps.setString(1, incidentId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new ApiException(ErrorCode.NOT_FOUND, "no such incident");
          }
          if (!rs.getString(3).equals("OPEN")) {
            throw new ApiException(ErrorCode.CONFLICT, "the incident is already closed");
          }
          entity = rs.getString(1);
          sampleId = rs.getString(2);
        }
      }
      closeIncident(c, incidentId, actor, now, resolution);
      // SKIP: the event says nothing about the sample itself, only that the incident is over
      StoredLabel event = new StoredLabel(UUID.randomUUID().toString(), "INCIDENT", sampleId, entity,
          actor, LabelValue.SKIP.name(), List.of(), resolution, now, key, null, incidentId,
          IncidentAction.CLOSED.name(), null, false);
      insert(c, event);
      publish(c, event);
      AuditLog.append(c, now, actor, "INCIDENT_CLOSED", incidentId, resolution);
      return event;
    });
  }

  private static boolean closeIncident(Connection c, String incidentId, String actor, long now,
      String resolution) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE incidents SET status = 'CLOSED', closed_by = ?, closed_at = ?, resolution = ?"
            + " WHERE incident_id = ? AND status = 'OPEN'")) {
      ps.setString(1, actor);
      ps.setLong(2, now);
      ps.setString(3, resolution);
      ps.setString(4, incidentId);
      return ps.executeUpdate() == 1;
    }
  }

  private static boolean isOpen(Connection c, String incidentId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT 1 FROM incidents WHERE incident_id = ? AND status = 'OPEN'")) {
      ps.setString(1, incidentId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static Optional<String> openIncidentOf(Connection c, String entity) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT incident_id FROM incidents WHERE entity = ? AND status = 'OPEN' ORDER BY opened_at")) {
      ps.setString(1, entity);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  // ------------------------------------------------------------- conflicts

  /** Samples with two or more disagreeing answers and no resolution yet. */
  public List<Conflict> conflicts(int limit) {
    return db.inTransaction(c -> {
      List<String> ids = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT sample_id FROM labels WHERE kind = 'LABEL' AND retracted = FALSE AND label <> 'SKIP'"
              + " AND sample_id NOT IN (SELECT sample_id FROM reviews)"
              + " GROUP BY sample_id HAVING COUNT(DISTINCT label) > 1 ORDER BY sample_id")) {
        ps.setMaxRows(limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
          }
        }
      }
      List<Conflict> out = new ArrayList<>();
      for (String id : ids) {
        List<StoredLabel> ls = query(c, "SELECT * FROM labels WHERE sample_id = ? AND kind = 'LABEL'"
            + " AND retracted = FALSE AND label <> 'SKIP' ORDER BY seq", List.of(id), 100);
        out.add(new Conflict(id, ls.get(0).entity(), ls));
      }
      return out;
    });
  }

  /** A reviewer's final answer for a sample; published as a label by the reviewer. */
  public StoredLabel resolve(String reviewer, String sampleId, String label, String note,
      String idempotencyKey) {
    LabelValue value = parseLabel(label);
    if (value == LabelValue.SKIP) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "a resolution must be anomaly, normal or unsure");
    }
    String key = requireKey(idempotencyKey);
    return db.inTransaction(c -> {
      Optional<StoredLabel> earlier = byIdempotencyKey(c, reviewer, key);
      if (earlier.isPresent()) {
        return earlier.get();
      }
      if (reviewed(c, sampleId)) {
        throw new ApiException(ErrorCode.CONFLICT, "this sample is already resolved");
      }
      List<StoredLabel> ls = query(c, "SELECT * FROM labels WHERE sample_id = ? AND kind = 'LABEL'"
          + " AND retracted = FALSE ORDER BY seq", List.of(sampleId), 100);
      if (ls.isEmpty()) {
        throw new ApiException(ErrorCode.NOT_FOUND, "no labels for this sample");
      }
      long now = clock.getAsLong();
      String eventId = UUID.randomUUID().toString();
      StoredLabel review = new StoredLabel(eventId, "REVIEW", sampleId, ls.get(0).entity(), reviewer,
          value.name(), List.of(), blankToNull(note), now, key, ls.get(0).requestId(), null,
          IncidentAction.NONE.name(), null, false);
      insert(c, review);
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO reviews (sample_id, reviewer, label, note, event_id, reviewed_at) VALUES (?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, sampleId);
        ps.setString(2, reviewer);
        ps.setString(3, value.name());
        ps.setString(4, blankToNull(note));
        ps.setString(5, eventId);
        ps.setLong(6, now);
        ps.executeUpdate();
      }
      publish(c, review);
      AuditLog.append(c, now, reviewer, "REVIEW", sampleId, value.name() + " event " + eventId);
      return review;
    });
  }

  private static boolean reviewed(Connection c, String sampleId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM reviews WHERE sample_id = ?")) {
      ps.setString(1, sampleId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Final answers per sample for quality and export: live labels and reviews. */
  public Map<String, List<StoredLabel>> liveAnswersBySample() {
    return db.inTransaction(c -> {
      Map<String, List<StoredLabel>> out = new LinkedHashMap<>();
      for (StoredLabel l : query(c, "SELECT * FROM labels WHERE kind IN ('LABEL', 'REVIEW')"
          + " AND retracted = FALSE ORDER BY sample_id, seq", List.of(), Integer.MAX_VALUE)) {
        out.computeIfAbsent(l.sampleId(), k -> new ArrayList<>()).add(l);
      }
      return out;
    });
  }

  // ---------------------------------------------------------------- helpers

  private void publish(Connection c, StoredLabel l) throws SQLException {
    LabelEvent e = LabelEvent.newBuilder()
        .setEventId(l.eventId())
        .setSampleId(l.sampleId())
        .setEntity(l.entity())
        .setAnnotator(l.annotator())
        .setLabel(io.vigil.schemas.LabelValue.valueOf(l.label()))
        .setRootCauseMetrics(l.rootCauses())
        .setNote(l.note())
        .setLabeledAt(Instant.ofEpochMilli(l.labeledAt()))
        .setIdempotencyKey(l.annotator() + ":" + l.idempotencyKey())
        .setRequestId(l.requestId())
        .setIncidentId(l.incidentId())
        .setIncidentAction(IncidentAction.valueOf(l.incidentAction()))
        .setRetracts(l.retracts())
        .build();
    String[] trace = taskTrace(c, l.sampleId());
    Outbox.append(c, labelsTopic, l.sampleId(), SERDE.encode(e), l.eventId(), l.labeledAt(), trace[0], trace[1]);
  }

  /** The trace context of the request the sample's task came from: {traceparent, tracestate}, nulls when none. */
  private static String[] taskTrace(Connection c, String sampleId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT traceparent, tracestate FROM tasks WHERE sample_id = ?")) {
      ps.setString(1, sampleId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new String[] {rs.getString(1), rs.getString(2)} : new String[2];
      }
    }
  }

  private static void insert(Connection c, StoredLabel l) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO labels (event_id, kind, sample_id, entity, annotator, label, root_causes, note,"
            + " labeled_at, idempotency_key, request_id, incident_id, incident_action, retracts, retracted)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, l.eventId());
      ps.setString(2, l.kind());
      ps.setString(3, l.sampleId());
      ps.setString(4, l.entity());
      ps.setString(5, l.annotator());
      ps.setString(6, l.label());
      ps.setString(7, toJson(l.rootCauses()));
      ps.setString(8, l.note());
      ps.setLong(9, l.labeledAt());
      ps.setString(10, l.idempotencyKey());
      ps.setString(11, l.requestId());
      ps.setString(12, l.incidentId());
      ps.setString(13, l.incidentAction());
      ps.setString(14, l.retracts());
      ps.setBoolean(15, l.retracted());
      ps.executeUpdate();
    }
  }

  private static Optional<StoredLabel> byIdempotencyKey(Connection c, String annotator, String key)
      throws SQLException {
    List<StoredLabel> found = query(c,
        "SELECT * FROM labels WHERE annotator = ? AND idempotency_key = ?", List.of(annotator, key), 1);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  private static List<StoredLabel> query(Connection c, String sql, List<Object> params, int limit)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.size(); i++) {
        ps.setObject(i + 1, params.get(i));
      }
      if (limit < Integer.MAX_VALUE) {
        ps.setMaxRows(limit);
      }
      List<StoredLabel> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new StoredLabel(rs.getString("event_id"), rs.getString("kind"),
              rs.getString("sample_id"), rs.getString("entity"), rs.getString("annotator"),
              rs.getString("label"), fromJson(rs.getString("root_causes")), rs.getString("note"),
              rs.getLong("labeled_at"), rs.getString("idempotency_key"), rs.getString("request_id"),
              rs.getString("incident_id"), rs.getString("incident_action"), rs.getString("retracts"),
              rs.getBoolean("retracted")));
        }
      }
      return out;
    }
  }

  private static LabelValue parseLabel(String s) {
    try {
      return LabelValue.parse(s);
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.BAD_REQUEST, e.getMessage());
    }
  }

  private static String requireKey(String key) {
    if (key == null || !key.matches("[A-Za-z0-9._:-]{8,128}")) {
      throw new ApiException(ErrorCode.BAD_REQUEST,
          "an idempotency key of 8-128 letters, digits or . _ : - is required");
    }
    return key;
  }

  private static void validate(Submission s) {
    if (s.note() != null && s.note().length() > MAX_NOTE) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "the note is longer than " + MAX_NOTE + " characters");
    }
    if (s.rootCauses().size() > MAX_ROOT_CAUSES) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "at most " + MAX_ROOT_CAUSES + " root-cause metrics");
    }
    for (String m : s.rootCauses()) {
      if (m == null || m.isBlank() || m.length() > 200) {
        throw new ApiException(ErrorCode.BAD_REQUEST, "root-cause metric names are 1-200 characters");
      }
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static String toJson(List<String> l) {
    try {
      return JSON.writeValueAsString(l);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a list of strings", e);
    }
  }

  private static List<String> fromJson(String s) {
    try {
      return JSON.readValue(s, new TypeReference<List<String>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt root_causes column", e);
    }
  }
}
