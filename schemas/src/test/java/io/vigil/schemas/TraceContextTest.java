package io.vigil.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class TraceContextTest {

  private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void acceptsTheSpecificationsFormatAndDropsEverythingElse() {
    assertThat(TraceContext.validTraceparent(VALID)).isEqualTo(VALID);
    // a later version may add fields; version 00 may not
    assertThat(TraceContext.validTraceparent("01" + VALID.substring(2) + "-extra")).isNotNull();
    assertThat(TraceContext.validTraceparent(VALID + "-extra")).isNull();
    assertThat(TraceContext.validTraceparent("ff" + VALID.substring(2))).isNull();
    assertThat(TraceContext.validTraceparent(VALID.toUpperCase())).isNull();
    assertThat(TraceContext.validTraceparent("00-" + "0".repeat(32) + "-00f067aa0ba902b7-01")).isNull();
    assertThat(TraceContext.validTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0".repeat(16) + "-01")).isNull();
    assertThat(TraceContext.validTraceparent(VALID.substring(1))).isNull();
    assertThat(TraceContext.validTraceparent(null)).isNull();
  }

  @Test
  void tracestateIsKeptWhenPresentAndWithinTheLimit() {
    assertThat(TraceContext.validTracestate("vendor=abc")).isEqualTo("vendor=abc");
    assertThat(TraceContext.validTracestate(" ")).isNull();
    assertThat(TraceContext.validTracestate("v=" + "x".repeat(TraceContext.MAX_TRACESTATE))).isNull();
    assertThat(TraceContext.validTracestate(null)).isNull();
  }

  @Test
  void aValidContextIsReadFromKafkaHeadersAndWrittenBackUnchanged() {
    RecordHeaders in = new RecordHeaders();
    in.add("traceparent", "00-old-context".getBytes(StandardCharsets.US_ASCII));
    in.add("traceparent", VALID.getBytes(StandardCharsets.US_ASCII)); // the last one counts
    in.add("tracestate", "vendor=1".getBytes(StandardCharsets.US_ASCII));
    assertThat(TraceContext.traceparent(in)).isEqualTo(VALID);
    assertThat(TraceContext.tracestate(in)).isEqualTo("vendor=1");

    RecordHeaders out = new RecordHeaders();
    TraceContext.addTo(out, TraceContext.traceparent(in), TraceContext.tracestate(in));
    assertThat(new String(out.lastHeader("traceparent").value(), StandardCharsets.US_ASCII)).isEqualTo(VALID);
    assertThat(new String(out.lastHeader("tracestate").value(), StandardCharsets.US_ASCII)).isEqualTo("vendor=1");
  }

  @Test
  void aMalformedOrMissingContextIsNotPassedOn() {
    RecordHeaders in = new RecordHeaders();
    in.add("traceparent", "not a trace".getBytes(StandardCharsets.US_ASCII));
    assertThat(TraceContext.traceparent(in)).isNull();
    assertThat(TraceContext.traceparent(new RecordHeaders())).isNull();
    assertThat(TraceContext.traceparent(null)).isNull();
    assertThat(TraceContext.validTraceparent("01" + VALID.substring(2) + "-" + "x".repeat(TraceContext.MAX_TRACEPARENT))).isNull();
    RecordHeaders out = new RecordHeaders();
    TraceContext.addTo(out, null, "vendor=1");
    assertThat(out.toArray()).isEmpty();
  }
}
