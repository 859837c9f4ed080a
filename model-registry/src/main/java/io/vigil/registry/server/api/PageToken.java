package io.vigil.registry.server.api;

import io.vigil.registry.server.MlflowException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** Opaque page tokens: the offset of the next page, base64url-encoded. */
public final class PageToken {

  private PageToken() {}

  public static String encode(int offset) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(("offset:" + offset).getBytes(StandardCharsets.US_ASCII));
  }

  /** The offset a token stands for; null or empty = 0; anything malformed is INVALID_PARAMETER_VALUE. */
  public static int decode(String token) {
    if (token == null || token.isEmpty()) {
      return 0;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.US_ASCII);
      if (!s.startsWith("offset:")) {
        throw MlflowException.invalid("Invalid page token");
      }
      int offset = Integer.parseInt(s.substring("offset:".length()));
      if (offset < 0) {
        throw MlflowException.invalid("Invalid page token");
      }
      return offset;
    } catch (IllegalArgumentException e) {
      throw MlflowException.invalid("Invalid page token");
    }
  }

  /** One page of {@code all}, and the token of the next page (null if this is the last). */
  public record Page<T>(List<T> items, String nextPageToken) {}

  public static <T> Page<T> page(List<T> all, String token, int maxResults) {
    int offset = decode(token);
    int from = Math.min(offset, all.size());
    int to = (int) Math.min((long) from + maxResults, all.size());
    String next = to < all.size() ? encode(to) : null;
    return new Page<>(List.copyOf(all.subList(from, to)), next);
  }
}
