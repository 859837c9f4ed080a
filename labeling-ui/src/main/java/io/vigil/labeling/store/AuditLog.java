package io.vigil.labeling.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The append-only record of every human action. Written in the transaction of the action itself. */
public final class AuditLog {

  /** One entry. */
  public record Entry(long id, long at, String actor, String action, String target, String detail) {}

  private final Database db;

  public AuditLog(Database db) {
    this.db = requireNonNull(db, "db");
  }

  /** Appends inside the caller's transaction. */
  public static void append(Connection c, long at, String actor, String action, String target,
      String detail) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)")) {
      ps.setLong(1, at);
      ps.setString(2, actor);
      ps.setString(3, action);
      ps.setString(4, truncate(target, 256));
      ps.setString(5, detail == null ? "" : detail);
      ps.executeUpdate();
    }
  }

  /** Appends in its own transaction (logins). */
  public void append(long at, String actor, String action, String target, String detail) {
    db.inTransaction(c -> {
      append(c, at, actor, action, target, detail);
      return null;
    });
  }

  /** Newest first, optionally of one actor. */
  public List<Entry> list(String actor, int limit) {
    return db.inTransaction(c -> {
      String sql = "SELECT id, at, actor, action, target, detail FROM audit"
          + (actor == null ? "" : " WHERE actor = ?") + " ORDER BY id DESC";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        if (actor != null) {
          ps.setString(1, actor);
        }
        ps.setMaxRows(limit);
        List<Entry> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Entry(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6)));
          }
        }
        return out;
      }
    });
  }

  private static String truncate(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n);
  }
}
