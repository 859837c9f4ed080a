package io.vigil.streamio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class RecordHeadersTest {

  @Test
  void aRecordWithoutHeadersKeepsNothingAndItsDeadLetterMapIsEmpty() {
    assertNull(io.vigil.streamio.RecordHeaders.of(new RecordHeaders()));
    assertNull(io.vigil.streamio.RecordHeaders.of(null));
    assertTrue(io.vigil.streamio.RecordHeaders.toMap(null).isEmpty());
  }

  @Test
  void headersAreCopiedInOrderAndTheMapKeepsARepeatedKeysLastValue() {
    byte[] trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".getBytes(StandardCharsets.UTF_8);
    RecordHeaders kafka = new RecordHeaders(List.<Header>of(new RecordHeader("traceparent", trace),
        new RecordHeader("attempt", new byte[] {1}), new RecordHeader("attempt", new byte[] {2}),
        new RecordHeader("empty", (byte[]) null)));
    io.vigil.streamio.RecordHeaders h = io.vigil.streamio.RecordHeaders.of(kafka);
    assertArrayEquals(new String[] {"traceparent", "attempt", "attempt", "empty"}, h.keys);
    assertArrayEquals(trace, h.values[0]);
    trace[0] = 'x'; // a copy, not the consumer's buffer
    assertEquals('0', h.values[0][0]);

    assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", io.vigil.streamio.RecordHeaders.text(h, "traceparent"));
    assertNull(io.vigil.streamio.RecordHeaders.text(h, "tracestate"));
    assertNull(io.vigil.streamio.RecordHeaders.text(null, "traceparent"));

    Map<String, ByteBuffer> map = io.vigil.streamio.RecordHeaders.toMap(h);
    assertEquals(List.of("traceparent", "attempt", "empty"), List.copyOf(map.keySet()));
    assertEquals(ByteBuffer.wrap(new byte[] {2}), map.get("attempt"));
    assertEquals(0, map.get("empty").remaining());
  }

  @Test
  void itIsAFlinkPojoSoRefusedRecordsCrossNetworkEdgesWithoutGenericSerializers() {
    assertTrue(TypeInformation.of(io.vigil.streamio.RecordHeaders.class) instanceof PojoTypeInfo);
  }
}
