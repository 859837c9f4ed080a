package io.vigil.labeling.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Writes to the transactional outbox: a row in the same transaction as the change it announces. The
 * relay publishes rows in id order and marks them sent.
 */
public final class Outbox {

  private Outbox() {}

  public static void append(Connection c, String topic, String key, byte[] payload, String eventId,
      long now) throws SQLException {
    append(c, topic, key, payload, eventId, now, null, null);
  }

  /** The same with the W3C trace context the record carries on as headers (null: none). */
  public static void append(Connection c, String topic, String key, byte[] payload, String eventId,
      long now, String traceparent, String tracestate) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO outbox (topic, record_key, payload, event_id, created_at, traceparent, tracestate)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, topic);
      ps.setString(2, key);
      ps.setBytes(3, payload);
      ps.setString(4, eventId);
      ps.setLong(5, now);
      ps.setString(6, traceparent);
      ps.setString(7, tracestate);
      ps.executeUpdate();
    }
  }
}
