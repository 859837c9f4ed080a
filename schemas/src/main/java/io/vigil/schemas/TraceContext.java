package io.vigil.schemas;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * W3C Trace Context (the propagation format OpenTelemetry uses) as Vigil carries it: the {@code
 * traceparent} and {@code tracestate} headers of a Kafka record, or the same keys in gRPC metadata.
 * A header that does not follow the specification is dropped, not passed on, as OpenTelemetry's own
 * propagator does: a broken trace context must not reach the next hop. Each hop of Vigil (the jobs,
 * serving, the labeling UI) reads it from its input and puts it unchanged on the records that input
 * causes, so that one sample's telemetry, features, prediction, label request and label share the
 * producer's trace; Vigil makes no spans of its own.
 */
public final class TraceContext {

  /** {@code version-traceid-parentid-flags}, lower-case hex. */
  public static final String TRACEPARENT = "traceparent";
  /** Vendor-specific key=value list, passed on only with a valid {@code traceparent}. */
  public static final String TRACESTATE = "tracestate";

  /** The specification's limit on what a receiver must keep of {@code tracestate}. */
  static final int MAX_TRACESTATE = 512;
  /** Room for the fields later versions may add; what the label store keeps. */
  static final int MAX_TRACEPARENT = 512;

  private static final Pattern TRACEPARENT_FORMAT =
      Pattern.compile("([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?");
  private static final String ZERO_TRACE = "0".repeat(32);
  private static final String ZERO_PARENT = "0".repeat(16);

  private TraceContext() {}

  /**
   * The {@code traceparent} value if it is valid, else null: version {@code 00} exactly 55
   * characters, a later version at least that (with more fields after a dash), never {@code ff};
   * trace id and parent id not all zeros.
   */
  public static String validTraceparent(String value) {
    if (value == null || value.length() < 55 || value.length() > MAX_TRACEPARENT) {
      return null;
    }
    var m = TRACEPARENT_FORMAT.matcher(value);
    if (!m.matches()) {
      return null;
    }
    String version = m.group(1);
    if (version.equals("ff") || (version.equals("00") && m.group(5) != null)) {
      return null;
    }
    if (m.group(2).equals(ZERO_TRACE) || m.group(3).equals(ZERO_PARENT)) {
      return null;
    }
    return value;
  }

  /** The {@code tracestate} to pass on beside a valid {@code traceparent}: null when absent, blank or too long. */
  public static String validTracestate(String value) {
    return value == null || value.isBlank() || value.length() > MAX_TRACESTATE ? null : value;
  }

  /** The Kafka record's valid {@code traceparent}, or null (also when it has none). */
  public static String traceparent(Headers headers) {
    return validTraceparent(last(headers, TRACEPARENT));
  }

  /** The record's {@code tracestate} if it may be passed on beside a valid {@code traceparent}, or null. */
  public static String tracestate(Headers headers) {
    return validTracestate(last(headers, TRACESTATE));
  }

  /** Adds the context to an outgoing record's headers; nothing when {@code traceparent} is null. */
  public static void addTo(Headers headers, String traceparent, String tracestate) {
    if (traceparent == null) {
      return;
    }
    headers.add(TRACEPARENT, traceparent.getBytes(StandardCharsets.US_ASCII));
    if (tracestate != null) {
      headers.add(TRACESTATE, tracestate.getBytes(StandardCharsets.US_ASCII));
    }
  }

  private static String last(Headers headers, String key) {
    if (headers == null) {
      return null;
    }
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.US_ASCII);
  }
}
