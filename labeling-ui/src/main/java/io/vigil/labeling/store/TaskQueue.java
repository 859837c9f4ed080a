package io.vigil.labeling.store;

import static java.util.Objects.requireNonNull;

import io.vigil.labeling.ApiException;
import io.vigil.labeling.ErrorCode;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.zip.CRC32;

/**
 * The queue of label requests: one row per sample id (a second request for the same sample is
 * dropped), claimed by annotators with time-limited leases.
 *
 * <p>A task needs one label, or {@code overlapAnnotators} labels for the configured share of
 * sample ids (chosen by a hash of the id, so the choice is stable). A claim takes the open task of
 * highest priority that the annotator has not answered and whose free slots are not all leased.
 * Claims are serialised in this process and guarded by an optimistic version on the row, so two
 * annotators never hold the same slot even with several servers on one database. A lease that
 * times out is simply ignored by the next claim: the slot is free again.
 */
public final class TaskQueue {

  /** Result of offering a request to the queue. */
  public enum Enqueued { ADDED, DUPLICATE }

  /** An annotator's progress. */
  public record Progress(long doneToday, long leftInQueue, long leasedToMe) {}

  private static final AvroSerde<LabelRequest> SERDE = AvroSerde.of(LabelRequest.class);
  private static final int CANDIDATES = 32;

  private final Database db;
  private final LongSupplier clock;
  private final long leaseMillis;
  private final double overlapShare;
  private final int overlapAnnotators;
  private final ReentrantLock claimLock = new ReentrantLock(true); // fair: bounded waits under load

  public TaskQueue(Database db, LongSupplier clock, long leaseMillis, double overlapShare,
      int overlapAnnotators) {
    this.db = requireNonNull(db, "db");
    this.clock = requireNonNull(clock, "clock");
    this.leaseMillis = leaseMillis;
    this.overlapShare = overlapShare;
    this.overlapAnnotators = overlapAnnotators;
  }

  public long leaseMillis() {
    return leaseMillis;
  }

  /** How many labels a sample needs: stable per sample id. */
  public int requiredLabels(String sampleId) {
    if (overlapShare <= 0) {
      return 1;
    }
    CRC32 crc = new CRC32();
    crc.update(sampleId.getBytes(StandardCharsets.UTF_8));
    return (crc.getValue() % 10_000) < Math.round(overlapShare * 10_000) ? overlapAnnotators : 1;
  }

  /** Adds a request unless its sample id is already queued. */
  public Enqueued enqueue(LabelRequest r) {
    return enqueue(r, null, null);
  }

  /**
   * The same with the request's W3C trace context (valid, or null), which the labels answering it
   * carry on as their Kafka headers.
   */
  public Enqueued enqueue(LabelRequest r, String traceparent, String tracestate) {
    return db.inTransaction(c -> insert(c, r, SERDE.encode(r), traceparent, tracestate)
        ? Enqueued.ADDED : Enqueued.DUPLICATE);
  }

  /** Adds many requests in one transaction; returns how many were new. */
  public int enqueueAll(List<LabelRequest> requests) {
    return db.inTransaction(c -> {
      int added = 0;
      for (LabelRequest r : requests) {
        if (insert(c, r, SERDE.encode(r), null, null)) {
          added++;
        }
      }
      return added;
    });
  }

  private boolean insert(Connection c, LabelRequest r, byte[] payload, String traceparent, String tracestate)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO tasks (sample_id, request_id, entity, reason, priority, incident_id,"
            + " window_start, window_end, payload, enqueued_at, required_labels, done_count, status, version,"
            + " traceparent, tracestate)"
            + " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'OPEN', 0, ?, ? FROM (VALUES (1)) AS one(x)"
            + " WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE sample_id = ?)")) {
      String id = r.getSampleId();
      ps.setString(1, id);
      ps.setString(2, r.getRequestId());
      ps.setString(3, r.getEntity());
      ps.setString(4, r.getReason().name());
      ps.setDouble(5, Double.isFinite(r.getPriority()) ? r.getPriority() : 0);
      ps.setString(6, r.getIncidentId());
      ps.setLong(7, r.getWindowStart().toEpochMilli());
      ps.setLong(8, r.getWindowEnd().toEpochMilli());
      ps.setBytes(9, payload);
      ps.setLong(10, clock.getAsLong());
      ps.setInt(11, requiredLabels(id));
      ps.setString(12, traceparent);
      ps.setString(13, traceparent == null ? null : tracestate);
      ps.setString(14, id);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * The annotator's current task, or a newly claimed one, or empty when nothing is left for them.
   */
  public Optional<TaskView> next(String annotator) {
    Optional<String> sampleId;
    claimLock.lock();
    try {
      sampleId = db.inTransaction(c -> {
        long now = clock.getAsLong();
        Optional<String> held = heldLease(c, annotator, now);
        if (held.isPresent()) {
          return held;
        }
        for (int attempt = 0; attempt < 5; attempt++) {
          Optional<String> claimed = claim(c, annotator, now);
          if (claimed.isPresent() || !lostRace) {
            return claimed;
          }
        }
        throw new ApiException(ErrorCode.UNAVAILABLE, "the queue is busy; try again");
      });
    } finally {
      claimLock.unlock();
    }
    // reading and decoding the task needs no lock: the lease is committed
    return sampleId.map(id -> db.inTransaction(c -> view(c, id, annotator)));
  }

  private boolean lostRace; // guarded by claimLock

  private static Optional<String> heldLease(Connection c, String annotator, long now)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT l.sample_id FROM leases l JOIN tasks t ON t.sample_id = l.sample_id"
            + " WHERE l.annotator = ? AND l.expires_at > ? AND t.status = 'OPEN'"
            + " AND NOT EXISTS (SELECT 1 FROM labels b WHERE b.sample_id = l.sample_id"
            + " AND b.annotator = l.annotator AND b.kind = 'LABEL' AND b.retracted = FALSE)"
            + " ORDER BY l.expires_at DESC FETCH FIRST 1 ROWS ONLY")) {
      ps.setString(1, annotator);
      ps.setLong(2, now);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  private Optional<String> claim(Connection c, String annotator, long now) throws SQLException {
    lostRace = false;
    record Candidate(String sampleId, int required, int done, int version) {}
    List<Candidate> candidates = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT t.sample_id, t.required_labels, t.done_count, t.version FROM tasks t"
            + " WHERE t.status = 'OPEN'"
            + " AND NOT EXISTS (SELECT 1 FROM leases s WHERE s.sample_id = t.sample_id"
            + "   AND s.expires_at > ? AND (t.required_labels = 1 OR s.annotator = ?))"
            + " AND NOT EXISTS (SELECT 1 FROM labels b WHERE b.sample_id = t.sample_id"
            + "   AND b.annotator = ? AND b.kind = 'LABEL' AND b.retracted = FALSE)"
            + " ORDER BY t.status, t.priority DESC, t.enqueued_at, t.sample_id"
            + " FETCH FIRST " + CANDIDATES + " ROWS ONLY")) {
      ps.setLong(1, now);
      ps.setString(2, annotator);
      ps.setString(3, annotator);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          candidates.add(new Candidate(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getInt(4)));
        }
      }
    }
    for (Candidate cand : candidates) {
      if (cand.required() > 1 && cand.done() + activeLeases(c, cand.sampleId(), now) >= cand.required()) {
        continue;
      }
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE tasks SET version = version + 1 WHERE sample_id = ? AND version = ? AND status = 'OPEN'")) {
        ps.setString(1, cand.sampleId());
        ps.setInt(2, cand.version());
        if (ps.executeUpdate() != 1) {
          lostRace = true;
          continue;
        }
      }
      try (PreparedStatement del = c.prepareStatement(
          "DELETE FROM leases WHERE sample_id = ? AND annotator = ?")) {
        del.setString(1, cand.sampleId());
        del.setString(2, annotator);
        del.executeUpdate();
      }
      lease(c, cand.sampleId(), annotator, now + leaseMillis);
      return Optional.of(cand.sampleId());
    }
    return Optional.empty();
  }

  static void lease(Connection c, String sampleId, String annotator, long expiresAt)
      throws SQLException {
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO leases (sample_id, annotator, expires_at) VALUES (?, ?, ?)")) {
      ins.setString(1, sampleId);
      ins.setString(2, annotator);
      ins.setLong(3, expiresAt);
      ins.executeUpdate();
    }
  }

  private static int activeLeases(Connection c, String sampleId, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT COUNT(*) FROM leases WHERE sample_id = ? AND expires_at > ?")) {
      ps.setString(1, sampleId);
      ps.setLong(2, now);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * One task as its viewer may see it: an annotator only while it is leased to them or after they
   * labeled it; reviewers see every task.
   */
  public TaskView get(String sampleId, String viewer, boolean reviewer) {
    return db.inTransaction(c -> {
      if (!reviewer && !mayView(c, sampleId, viewer, clock.getAsLong())) {
        throw new ApiException(ErrorCode.FORBIDDEN, "this task is not leased to you");
      }
      return view(c, sampleId, viewer);
    });
  }

  private static boolean mayView(Connection c, String sampleId, String annotator, long now)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT 1 FROM leases WHERE sample_id = ? AND annotator = ? AND expires_at > ?"
            + " UNION ALL SELECT 1 FROM labels WHERE sample_id = ? AND annotator = ?")) {
      ps.setString(1, sampleId);
      ps.setString(2, annotator);
      ps.setLong(3, now);
      ps.setString(4, sampleId);
      ps.setString(5, annotator);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static TaskView view(Connection c, String sampleId, String annotator) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT t.payload, t.required_labels, t.done_count,"
            + " (SELECT MAX(l.expires_at) FROM leases l WHERE l.sample_id = t.sample_id AND l.annotator = ?)"
            + " FROM tasks t WHERE t.sample_id = ?")) {
      ps.setString(1, annotator);
      ps.setString(2, sampleId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new ApiException(ErrorCode.NOT_FOUND, "no such task");
        }
        LabelRequest r = SERDE.decode(rs.getBytes(1));
        return TaskView.of(r, rs.getLong(4), rs.getInt(2), rs.getInt(3));
      }
    }
  }

  public Progress progress(String annotator) {
    long now = clock.getAsLong();
    long dayStart = LocalDate.ofEpochDay(Math.floorDiv(now, 86_400_000L))
        .atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    return db.inTransaction(c -> new Progress(
        count(c, "SELECT COUNT(*) FROM labels WHERE annotator = ? AND kind = 'LABEL'"
            + " AND retracted = FALSE AND labeled_at >= ?", annotator, dayStart),
        count(c, "SELECT COUNT(*) FROM tasks WHERE status = 'OPEN'", null, 0),
        count(c, "SELECT COUNT(*) FROM leases WHERE annotator = ? AND expires_at > ?", annotator, now)));
  }

  /** Open tasks in the queue (for metrics). */
  public long openTasks() {
    return db.inTransaction(c -> count(c, "SELECT COUNT(*) FROM tasks WHERE status = 'OPEN'", null, 0));
  }

  private static long count(Connection c, String sql, String who, long t) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (who != null) {
        ps.setString(1, who);
        ps.setLong(2, t);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
