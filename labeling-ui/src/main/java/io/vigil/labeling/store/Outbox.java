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
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO outbox (topic, record_key, payload, event_id, created_at) VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, topic);
      ps.setString(2, key);
      ps.setBytes(3, payload);
      ps.setString(4, eventId);
      ps.setLong(5, now);
      ps.executeUpdate();
    }
  }
}
