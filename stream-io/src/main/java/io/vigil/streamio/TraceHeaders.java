package io.vigil.streamio;

import io.vigil.schemas.TraceContext;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The W3C trace context ({@link TraceContext}) in a Kafka record's headers: how each job reads it
 * from its input and puts it on the records that input causes, so that one sample's telemetry,
 * features and predictions share the producer's trace. A malformed {@code traceparent} is not passed
 * on, and neither is a {@code tracestate} without a valid {@code traceparent}. The jobs make no
 * spans: they carry the context unchanged.
 */
public final class TraceHeaders {

  private TraceHeaders() {}

  /** The record's valid {@code traceparent}, or null (also when it has none). */
  public static String traceparent(Headers headers) {
    return TraceContext.validTraceparent(last(headers, TraceContext.TRACEPARENT));
  }

  /** The record's {@code tracestate} if it may be passed on beside a valid {@code traceparent}, or null. */
  public static String tracestate(Headers headers) {
    return TraceContext.validTracestate(last(headers, TraceContext.TRACESTATE));
  }

  /** Adds the context to an outgoing record's headers; nothing when {@code traceparent} is null. */
  public static void addTo(Headers headers, String traceparent, String tracestate) {
    if (traceparent == null) {
      return;
    }
    headers.add(TraceContext.TRACEPARENT, traceparent.getBytes(StandardCharsets.US_ASCII));
    if (tracestate != null) {
      headers.add(TraceContext.TRACESTATE, tracestate.getBytes(StandardCharsets.US_ASCII));
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
