package io.vigil.drift.requests;

import io.vigil.drift.requests.RequestInput.Kind;
import io.vigil.schemas.DriftReport;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.TraceContext;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import io.vigil.streamio.RecordHeaders;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads one input topic of the label-request job into {@link RequestInput}s. Never throws on bad
 * input: unreadable bytes ({@code BAD_HEADER}, {@code UNKNOWN_SCHEMA}, {@code CORRUPT_BODY}, {@code
 * EMPTY_RECORD}), a blank entity ({@code MISSING_ENTITY}), non-finite telemetry values ({@code
 * NON_FINITE_VALUE}) and predictions whose score, threshold or probability cannot be used ({@code
 * INVALID_PREDICTION}) become refused records with the raw bytes and the reason.
 */
final class InputDecoder implements KafkaRecordDeserializationSchema<RequestInput> {

  private static final long serialVersionUID = 1L;

  private final Kind kind;
  private transient AvroSerde<?> serde;

  InputDecoder(Kind kind) {
    this.kind = kind;
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RequestInput> out) {
    RequestInput in = decode(record.topic(), record.partition(), record.offset(), record.key(), record.value());
    if (in.errorCode != null) {
      in.headers = RecordHeaders.of(record.headers());
    } else if (in.kind == RequestInput.Kind.PREDICTION) {
      in.traceparent = TraceContext.traceparent(record.headers());
      in.tracestate = in.traceparent == null ? null : TraceContext.tracestate(record.headers());
    }
    out.collect(in);
  }

  RequestInput decode(String topic, int partition, long offset, byte[] key, byte[] value) {
    if (serde == null) {
      serde = switch (kind) {
        case TELEMETRY -> AvroSerde.of(TelemetrySample.class);
        case FEATURES -> AvroSerde.of(FeatureVector.class);
        case PREDICTION -> AvroSerde.of(Prediction.class);
        case LABEL -> AvroSerde.of(LabelEvent.class);
        case DRIFT -> AvroSerde.of(DriftReport.class);
      };
    }
    Object record;
    try {
      record = serde.decode(value);
    } catch (RecordDecodingException e) {
      return RequestInput.refused(kind, e.code().name(), e.getMessage(), topic, partition, offset, key, value);
    }
    String problem = null;
    String code = "MISSING_ENTITY";
    String entity;
    long time;
    switch (kind) {
      case TELEMETRY -> {
        TelemetrySample s = (TelemetrySample) record;
        entity = s.getEntity();
        time = s.getEventTime().toEpochMilli();
        for (Map.Entry<String, Double> m : s.getMetrics().entrySet()) {
          if (m.getValue() == null || !Double.isFinite(m.getValue())) {
            code = "NON_FINITE_VALUE";
            problem = "entity " + entity + " at " + s.getEventTime() + ": metric " + m.getKey() + " is " + m.getValue();
            break;
          }
        }
      }
      case FEATURES -> {
        FeatureVector v = (FeatureVector) record;
        entity = v.getEntity();
        time = v.getWindowEnd().toEpochMilli();
      }
      case PREDICTION -> {
        Prediction p = (Prediction) record;
        entity = p.getEntity();
        time = p.getWindowEnd().toEpochMilli();
        Double prob = p.getProbability();
        if (!Double.isFinite(p.getScore()) || !Double.isFinite(p.getThreshold())) {
          code = "INVALID_PREDICTION";
          problem = "prediction " + p.getSampleId() + ": score " + p.getScore() + " and threshold "
              + p.getThreshold() + " must be finite";
        } else if (prob != null && !(prob >= 0 && prob <= 1)) {
          code = "INVALID_PREDICTION";
          problem = "prediction " + p.getSampleId() + ": probability " + prob + " is not in [0, 1]";
        }
      }
      case LABEL -> {
        LabelEvent l = (LabelEvent) record;
        entity = l.getEntity();
        time = l.getLabeledAt().toEpochMilli();
      }
      case DRIFT -> {
        DriftReport d = (DriftReport) record;
        entity = d.getModelName();
        time = d.getWindowEnd().toEpochMilli();
      }
      default -> throw new IllegalStateException("unknown input kind " + kind);
    }
    if (problem == null && (entity == null || entity.isBlank())) {
      problem = kind + " record has an empty " + (kind == Kind.DRIFT ? "model name" : "entity");
    }
    if (problem != null) {
      return RequestInput.refused(kind, code, problem, topic, partition, offset, key, value);
    }
    return RequestInput.ok(kind, entity, time, value);
  }

  @Override
  public TypeInformation<RequestInput> getProducedType() {
    return TypeInformation.of(RequestInput.class);
  }
}
