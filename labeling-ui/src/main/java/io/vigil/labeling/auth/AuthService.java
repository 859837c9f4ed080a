package io.vigil.labeling.auth;

import static java.util.Objects.requireNonNull;

import io.vigil.labeling.ApiException;
import io.vigil.labeling.ErrorCode;
import io.vigil.labeling.store.AuditLog;
import io.vigil.labeling.store.Database;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local accounts and sessions. A session token (32 random bytes) lives only in the browser's
 * cookie; the database keeps its HMAC under the configured secret, so a leaked table gives no
 * usable sessions. Each session has its own CSRF token.
 */
public final class AuthService {

  private static final Logger LOG = LoggerFactory.getLogger(AuthService.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String USERNAME = "[a-zA-Z0-9._-]{1,64}";

  /** A new session: the cookie value and the principal. */
  public record Session(String token, Principal principal, long expiresAt) {}

  /** A user as listed to admins (never the hash). */
  public record User(String username, Role role) {}

  private final Database db;
  private final Passwords passwords;
  private final byte[] secret;
  private final long sessionMillis;
  private final LongSupplier clock;

  public AuthService(Database db, Passwords passwords, String sessionSecret, long sessionMillis,
      LongSupplier clock) {
    this.db = requireNonNull(db, "db");
    this.passwords = requireNonNull(passwords, "passwords");
    this.secret = sessionSecret.getBytes(StandardCharsets.UTF_8);
    this.sessionMillis = sessionMillis;
    this.clock = requireNonNull(clock, "clock");
  }

  /** Creates a user when missing (the first accounts from config). Returns whether it was created. */
  public boolean ensureUser(String username, Role role, String password) {
    if (find(username).isPresent()) {
      return false;
    }
    createUser("system", username, role, password);
    LOG.info("created {} account '{}'", role.name().toLowerCase(java.util.Locale.ROOT), username);
    return true;
  }

  public void createUser(String actor, String username, Role role, String password) {
    if (username == null || !username.matches(USERNAME)) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "user names are 1-64 letters, digits, . _ -");
    }
    if (password == null || password.length() < 8) {
      throw new ApiException(ErrorCode.BAD_REQUEST, "passwords have at least 8 characters");
    }
    String hash = passwords.hash(password);
    long now = clock.getAsLong();
    db.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)")) {
        ps.setString(1, username);
        ps.setString(2, role.name());
        ps.setString(3, hash);
        ps.setLong(4, now);
        ps.executeUpdate();
      }
      AuditLog.append(c, now, actor, "USER_CREATED", username, role.name());
      return null;
    });
  }

  public List<User> users() {
    return db.inTransaction(c -> {
      List<User> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT username, role FROM users ORDER BY username");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new User(rs.getString(1), Role.valueOf(rs.getString(2))));
        }
      }
      return out;
    });
  }

  private Optional<String[]> find(String username) {
    return db.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT role, password_hash FROM users WHERE username = ?")) {
        ps.setString(1, username);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(new String[] {rs.getString(1), rs.getString(2)})
              : Optional.<String[]>empty();
        }
      }
    });
  }

  /** Checks the password and opens a session; the same answer for unknown user and bad password. */
  public Session login(String username, String password, String client) {
    long now = clock.getAsLong();
    Optional<String[]> user = username == null || !username.matches(USERNAME)
        ? Optional.empty() : find(username);
    boolean ok = user.isPresent() && password != null && passwords.verify(password, user.get()[1]);
    if (!ok) {
      String who = username == null || !username.matches(USERNAME) ? "-" : username;
      db.inTransaction(c -> {
        AuditLog.append(c, now, who, "LOGIN_FAILED", client, "");
        return null;
      });
      throw new ApiException(ErrorCode.UNAUTHENTICATED, "wrong user name or password");
    }
    Role role = Role.valueOf(user.get()[0]);
    String token = randomToken();
    String csrf = randomToken();
    long expires = now + sessionMillis;
    db.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO sessions (session_id, username, csrf_token, created_at, expires_at)"
              + " VALUES (?, ?, ?, ?, ?)")) {
        ps.setString(1, sessionId(token));
        ps.setString(2, username);
        ps.setString(3, csrf);
        ps.setLong(4, now);
        ps.setLong(5, expires);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM sessions WHERE expires_at < ?")) {
        ps.setLong(1, now);
        ps.executeUpdate();
      }
      AuditLog.append(c, now, username, "LOGIN", client, role.name());
      return null;
    });
    return new Session(token, new Principal(username, role, csrf), expires);
  }

  /** The principal of a session cookie, if the session exists and has not expired. */
  public Optional<Principal> resolve(String token) {
    if (token == null || token.isEmpty() || token.length() > 100) {
      return Optional.empty();
    }
    long now = clock.getAsLong();
    return db.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT s.username, u.role, s.csrf_token FROM sessions s JOIN users u ON u.username = s.username"
              + " WHERE s.session_id = ? AND s.expires_at > ?")) {
        ps.setString(1, sessionId(token));
        ps.setLong(2, now);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next()
              ? Optional.of(new Principal(rs.getString(1), Role.valueOf(rs.getString(2)), rs.getString(3)))
              : Optional.<Principal>empty();
        }
      }
    });
  }

  public void logout(String token, String username) {
    long now = clock.getAsLong();
    db.inTransaction(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM sessions WHERE session_id = ?")) {
        ps.setString(1, sessionId(token));
        ps.executeUpdate();
      }
      AuditLog.append(c, now, username, "LOGOUT", "", "");
      return null;
    });
  }

  private String sessionId(String token) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString(mac.doFinal(token.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  static String randomToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
