package io.vigil.streamio;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The headers of a Kafka record that a job refuses, kept beside its raw key and value so that the
 * dead letter carries them too (trace context, content type, whatever the producer set): a dead
 * letter holds the whole record and can be replayed as it was. A Flink POJO (keys and values in
 * arrays, in the record's order) so that it crosses network edges without generic serializers.
 * Only refused records pay for the copy: decoders attach it once a record has failed.
 */
public class RecordHeaders {

  public String[] keys;
  public byte[][] values;

  public RecordHeaders() {}

  /** A copy of {@code headers}; null when the record has none. */
  public static RecordHeaders of(Headers headers) {
    if (headers == null) {
      return null;
    }
    Header[] all = headers.toArray();
    if (all.length == 0) {
      return null;
    }
    RecordHeaders h = new RecordHeaders();
    h.keys = new String[all.length];
    h.values = new byte[all.length][];
    for (int i = 0; i < all.length; i++) {
      h.keys[i] = all[i].key();
      byte[] v = all[i].value();
      h.values[i] = v == null ? new byte[0] : v.clone();
    }
    return h;
  }

  /** The last value of header {@code key} as US-ASCII text (trace context headers are); null when absent. */
  public static String text(RecordHeaders h, String key) {
    if (h == null || h.keys == null) {
      return null;
    }
    for (int i = h.keys.length - 1; i >= 0; i--) {
      if (key.equals(h.keys[i])) {
        return h.values[i] == null ? null : new String(h.values[i], StandardCharsets.US_ASCII);
      }
    }
    return null;
  }

  /**
   * As the {@code DeadLetter.headers} map: a key the record carries twice keeps its last value (a
   * map holds one), and a header without a value becomes empty bytes. Empty for {@code null}.
   */
  public static Map<String, ByteBuffer> toMap(RecordHeaders h) {
    Map<String, ByteBuffer> out = new LinkedHashMap<>();
    if (h != null && h.keys != null) {
      for (int i = 0; i < h.keys.length; i++) {
        out.put(h.keys[i], ByteBuffer.wrap(h.values[i] == null ? new byte[0] : h.values[i]));
      }
    }
    return out;
  }
}
