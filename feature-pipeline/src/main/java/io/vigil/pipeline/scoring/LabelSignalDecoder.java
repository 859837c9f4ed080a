package io.vigil.pipeline.scoring;

import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.Incidents;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import io.vigil.streamio.RecordHeaders;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns records of the labels topic into {@link LabelSignal}s. Never throws on bad input:
 * unreadable bytes ({@code BAD_HEADER}, {@code UNKNOWN_SCHEMA}, {@code CORRUPT_BODY}, {@code
 * EMPTY_RECORD}) and a label without entity ({@code MISSING_ENTITY}) become dead letters (stage
 * {@value #STAGE}) with the raw bytes and the reason.
 */
final class LabelSignalDecoder implements KafkaRecordDeserializationSchema<LabelSignal> {

  private static final long serialVersionUID = 1L;

  /** Stage named in dead letters of unreadable labels. */
  static final String STAGE = "scoring/labels";

  private transient AvroSerde<LabelEvent> serde;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<LabelSignal> out) {
    LabelSignal s = decode(record.topic(), record.partition(), record.offset(), record.key(), record.value());
    if (s.refused != null) {
      s.refused.setHeaders(RecordHeaders.toMap(RecordHeaders.of(record.headers())));
    }
    out.collect(s);
  }

  LabelSignal decode(String topic, int partition, long offset, byte[] key, byte[] value) {
    if (serde == null) {
      serde = AvroSerde.of(LabelEvent.class);
    }
    LabelEvent l;
    try {
      l = serde.decode(value);
    } catch (RecordDecodingException e) {
      return LabelSignal.refused(deadLetter(topic, partition, offset, key, value, e.code().name(), e.getMessage()));
    }
    if (l.getEntity().isBlank()) {
      return LabelSignal.refused(deadLetter(topic, partition, offset, key, value, "MISSING_ENTITY",
          "label " + l.getEventId() + " for sample " + l.getSampleId() + " has an empty entity"));
    }
    Incidents.Effect effect = Incidents.effectOf(l);
    return LabelSignal.of(l.getEntity(), effect, effect == Incidents.Effect.OPEN ? Incidents.idOf(l) : null,
        l.getEventId());
  }

  private static DeadLetter deadLetter(String topic, int partition, long offset, byte[] key, byte[] value,
      String code, String reason) {
    return DeadLetter.newBuilder()
        .setSourceTopic(topic == null ? "" : topic)
        .setPartition(partition)
        .setOffset(offset)
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .setStage(STAGE)
        .setErrorCode(code)
        .setReason(reason)
        .setFailedAt(Instant.now())
        .build();
  }

  @Override
  public TypeInformation<LabelSignal> getProducedType() {
    return TypeInformation.of(LabelSignal.class);
  }
}
