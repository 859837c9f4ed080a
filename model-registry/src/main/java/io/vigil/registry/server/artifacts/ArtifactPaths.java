package io.vigil.registry.server.artifacts;

import io.vigil.registry.server.MlflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Checks artifact paths that come from requests before anything touches storage. A path is
 * decoded once (as the HTTP layer would), then refused if it still carries an encoding (double
 * encoding), a NUL or control character, a backslash, a leading slash, a drive or scheme, an empty,
 * {@code .} or {@code ..} segment, or a {@code ;} path parameter ({@code ..;/}). Finally the path is
 * resolved under a fake root and must stay there. What passes is a clean relative path such as
 * {@code 12/abc/artifacts/model/data.bin}.
 */
public final class ArtifactPaths {

  private static final Path FAKE_ROOT = Path.of("/vigil-artifact-root");
  private static final int MAX_LENGTH = 1024;

  private ArtifactPaths() {}

  /** Validates an already decoded relative path (query parameter or JSON field). Empty = the root. */
  public static String relative(String path) {
    if (path == null || path.isEmpty()) {
      return "";
    }
    if (path.length() > MAX_LENGTH) {
      throw MlflowException.invalid("Invalid path: longer than " + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < path.length(); i++) {
      char ch = path.charAt(i);
      if (ch < 0x20 || ch == 0x7f || ch == '\uFFFD') {
        throw MlflowException.invalid("Invalid path: control characters are not allowed");
      }
    }
    if (path.indexOf('%') >= 0) {
      throw MlflowException.invalid("Invalid path: encoded characters are not allowed");
    }
    if (path.indexOf('\\') >= 0) {
      throw MlflowException.invalid("Invalid path: backslashes are not allowed");
    }
    if (path.startsWith("/") || path.startsWith("~")) {
      throw MlflowException.invalid("Invalid path: absolute paths are not allowed");
    }
    if (path.indexOf(':') >= 0) {
      throw MlflowException.invalid("Invalid path: ':' (drive or scheme) is not allowed");
    }
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    for (String segment : trimmed.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw MlflowException.invalid("Invalid path: empty, '.' and '..' segments are not allowed");
      }
      if (segment.indexOf(';') >= 0) {
        throw MlflowException.invalid("Invalid path: ';' is not allowed");
      }
      String lower = segment.toLowerCase(Locale.ROOT);
      if (lower.startsWith("..") || lower.endsWith("..")) {
        throw MlflowException.invalid("Invalid path: '..' is not allowed");
      }
    }
    try {
      Path resolved = FAKE_ROOT.resolve(trimmed).normalize();
      if (!resolved.startsWith(FAKE_ROOT) || resolved.equals(FAKE_ROOT)) {
        throw MlflowException.invalid("Invalid path: it leaves the artifact root");
      }
      return FAKE_ROOT.relativize(resolved).toString();
    } catch (InvalidPathException e) {
      throw MlflowException.invalid("Invalid path");
    }
  }

  /** Validates a raw (still percent-encoded) URL path tail: decodes it exactly once, then checks. */
  public static String fromRawUrl(String raw) {
    return relative(percentDecodeOnce(raw));
  }

  /** Percent-decodes once; a malformed escape is an invalid path. '+' stays '+' (path, not form). */
  static String percentDecodeOnce(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    byte[] out = new byte[raw.length()];
    int n = 0;
    for (int i = 0; i < raw.length(); i++) {
      char ch = raw.charAt(i);
      if (ch == '%') {
        if (i + 2 >= raw.length()) {
          throw MlflowException.invalid("Invalid path: malformed percent-encoding");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw MlflowException.invalid("Invalid path: malformed percent-encoding");
        }
        out[n++] = (byte) (hi * 16 + lo);
        i += 2;
      } else if (ch > 0x7f) {
        byte[] utf8 = String.valueOf(ch).getBytes(StandardCharsets.UTF_8);
        if (n + utf8.length > out.length) {
          out = java.util.Arrays.copyOf(out, out.length * 2 + utf8.length);
        }
        System.arraycopy(utf8, 0, out, n, utf8.length);
        n += utf8.length;
      } else {
        out[n++] = (byte) ch;
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out, 0, n)).toString();
    } catch (CharacterCodingException e) {
      throw MlflowException.invalid("Invalid path: not valid UTF-8 (e.g. overlong encodings)");
    }
  }
}
