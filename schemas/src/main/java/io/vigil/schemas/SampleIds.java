package io.vigil.schemas;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Deterministic sample ids. A sample is one entity's window ending at one instant under one
 * feature-set version; its id is the same wherever and however often it is computed, so every
 * step (features, prediction, label request, label, training snapshot) can be joined on it and
 * replays are idempotent.
 *
 * <p>Format: {@code s-} followed by 32 lowercase hex digits, the first 128 bits of SHA-256 over
 * the length-prefixed UTF-8 entity, the window end in epoch milliseconds, and the length-prefixed
 * feature-set version.
 */
public final class SampleIds {

  private static final HexFormat HEX = HexFormat.of();
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(SampleIds::sha256);

  private SampleIds() {}

  public static String of(String entity, Instant windowEnd, String featureSetVersion) {
    requireNonNull(entity, "entity");
    requireNonNull(windowEnd, "windowEnd");
    requireNonNull(featureSetVersion, "featureSetVersion");
    byte[] e = entity.getBytes(StandardCharsets.UTF_8);
    byte[] v = featureSetVersion.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(4 + e.length + 8 + 4 + v.length);
    buf.putInt(e.length).put(e).putLong(windowEnd.toEpochMilli()).putInt(v.length).put(v);
    byte[] digest = SHA256.get().digest(buf.array());
    return "s-" + HEX.formatHex(digest, 0, 16);
  }

  /** True when {@code id} has the shape of a sample id. */
  public static boolean isValid(String id) {
    if (id == null || id.length() != 34 || !id.startsWith("s-")) {
      return false;
    }
    for (int i = 2; i < id.length(); i++) {
      if (Character.digit(id.charAt(i), 16) < 0 || Character.isUpperCase(id.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
