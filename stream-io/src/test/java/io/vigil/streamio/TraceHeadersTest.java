package io.vigil.streamio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class TraceHeadersTest {

  private static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void aValidContextIsReadAndWrittenBackUnchanged() {
    RecordHeaders in = new RecordHeaders();
    in.add("traceparent", "00-old-context".getBytes(StandardCharsets.US_ASCII));
    in.add("traceparent", PARENT.getBytes(StandardCharsets.US_ASCII)); // the last one counts
    in.add("tracestate", "vendor=1".getBytes(StandardCharsets.US_ASCII));
    assertEquals(PARENT, TraceHeaders.traceparent(in));
    assertEquals("vendor=1", TraceHeaders.tracestate(in));

    RecordHeaders out = new RecordHeaders();
    TraceHeaders.addTo(out, TraceHeaders.traceparent(in), TraceHeaders.tracestate(in));
    assertEquals(PARENT, new String(out.lastHeader("traceparent").value(), StandardCharsets.US_ASCII));
    assertEquals("vendor=1", new String(out.lastHeader("tracestate").value(), StandardCharsets.US_ASCII));
  }

  @Test
  void aMalformedOrMissingContextIsNotPassedOn() {
    RecordHeaders in = new RecordHeaders();
    in.add("traceparent", "not a trace".getBytes(StandardCharsets.US_ASCII));
    assertNull(TraceHeaders.traceparent(in));
    assertNull(TraceHeaders.traceparent(new RecordHeaders()));
    assertNull(TraceHeaders.traceparent(null));
    RecordHeaders out = new RecordHeaders();
    TraceHeaders.addTo(out, null, "vendor=1");
    assertFalse(out.iterator().hasNext());
  }
}
