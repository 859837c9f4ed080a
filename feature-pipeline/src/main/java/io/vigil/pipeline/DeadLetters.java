package io.vigil.pipeline;

import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.streamio.RecordHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds the dead-letter records of the feature job. */
final class DeadLetters {

  static final String STAGE_DECODE = "feature-pipeline/decode";
  static final String STAGE_ORDER = "feature-pipeline/event-time";

  /** Built once: a serde parses its schema and every released one (thread-safe). */
  private static final class Telemetry {
    static final AvroSerde<TelemetrySample> SERDE = AvroSerde.of(TelemetrySample.class);
  }

  private DeadLetters() {}

  /** A record refused while decoding: its raw bytes and the reason. */
  static DeadLetter refused(DecodedSample s) {
    return DeadLetter.newBuilder()
        .setSourceTopic(s.topic == null ? "" : s.topic)
        .setPartition(s.partition)
        .setOffset(s.offset)
        .setKey(s.rawKey == null ? null : ByteBuffer.wrap(s.rawKey))
        .setValue(s.rawValue == null ? null : ByteBuffer.wrap(s.rawValue))
        .setHeaders(RecordHeaders.toMap(s.headers))
        .setStage(STAGE_DECODE)
        .setErrorCode(s.errorCode)
        .setReason(s.reason)
        .setFailedAt(Instant.now())
        .build();
  }

  /**
   * A readable sample that arrived too late (behind the watermark) or twice; its values are kept,
   * re-encoded as a TelemetrySample of the feature set's metrics, so nothing is lost.
   */
  static DeadLetter outOfOrder(String code, String reason, String topic, String entity, long time,
      List<String> metrics, double[] values, long sequence) {
    Map<String, Double> m = new HashMap<>();
    for (int i = 0; i < metrics.size(); i++) {
      m.put(metrics.get(i), values[i]);
    }
    TelemetrySample sample = TelemetrySample.newBuilder().setEntity(entity)
        .setEventTime(Instant.ofEpochMilli(time)).setMetrics(m).setSequence(sequence).build();
    return DeadLetter.newBuilder()
        .setSourceTopic(topic)
        .setKey(ByteBuffer.wrap(entity.getBytes(StandardCharsets.UTF_8)))
        .setValue(ByteBuffer.wrap(Telemetry.SERDE.encode(sample)))
        .setStage(STAGE_ORDER)
        .setErrorCode(code)
        .setReason(reason)
        .setFailedAt(Instant.now())
        .build();
  }
}
