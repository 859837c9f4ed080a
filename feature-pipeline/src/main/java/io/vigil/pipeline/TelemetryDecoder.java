package io.vigil.pipeline;

import io.vigil.features.FeatureSet;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.TraceContext;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import io.vigil.streamio.RecordHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns Kafka records into {@link DecodedSample}s. Never throws on bad input: unreadable bytes,
 * missing metrics, and NaN, infinite or absurd values become refused samples carrying the raw
 * bytes and the reason, for the dead-letter topic.
 *
 * <p>Two paths, one result. A record written with the current {@code TelemetrySample} schema is read
 * straight from its bytes: the metrics map's keys are matched as UTF-8 bytes against the feature
 * set's metrics and the values land in their slots, with no {@code HashMap}, {@code String} or
 * boxed {@code Double} per metric (Avro's generic reader spent most of the source's time there).
 * Anything else — an older schema version, bytes that do not parse, or a sample that would be
 * refused — goes through {@link AvroSerde}, which gives the same sample or the exact refusal and
 * reason as before. {@code TelemetryDecoderTest} checks that both paths agree.
 */
final class TelemetryDecoder implements KafkaRecordDeserializationSchema<DecodedSample> {

  private static final long serialVersionUID = 1L;

  private final List<String> metrics;
  private final double absurdLimit;
  private transient AvroSerde<TelemetrySample> serde;
  private transient MetricIndex index;
  private transient long fingerprint;
  private transient int entityKinds;

  TelemetryDecoder(FeatureSet set, double absurdLimit) {
    this.metrics = List.copyOf(set.metrics());
    this.absurdLimit = absurdLimit;
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<DecodedSample> out) {
    DecodedSample s = decode(record.topic(), record.partition(), record.offset(), record.key(), record.value());
    if (s.failed()) {
      s.headers = RecordHeaders.of(record.headers());
    } else {
      s.traceparent = TraceContext.traceparent(record.headers());
      s.tracestate = s.traceparent == null ? null : TraceContext.tracestate(record.headers());
    }
    out.collect(s);
  }

  DecodedSample decode(String topic, int partition, long offset, byte[] key, byte[] value) {
    if (serde == null) {
      serde = AvroSerde.of(TelemetrySample.class);
      Schema schema = serde.schema();
      fingerprint = SchemaNormalization.parsingFingerprint64(schema);
      entityKinds = LAYOUT.equals(layout(schema)) ? schema.getField("entityKind").schema().getEnumSymbols().size() : 0;
      index = new MetricIndex(metrics);
    }
    DecodedSample fast = null;
    if (readsDirectly()) {
      try {
        fast = readCurrent(value);
      } catch (Malformed e) {
        fast = null;  // the generic path says what is wrong
      }
    }
    return fast != null ? fast : decodeGeneric(topic, partition, offset, key, value);
  }

  /** The fields, in order, that {@link #readCurrent} reads; any other schema takes the generic path. */
  private static final List<String> LAYOUT = List.of("entity:STRING", "entityKind:ENUM", "eventTime:LONG",
      "metrics:MAP<DOUBLE>", "tags:MAP<STRING>", "source:UNION<NULL,STRING>", "sequence:LONG");

  private static List<String> layout(Schema schema) {
    return schema.getFields().stream().map(f -> f.name() + ":" + shape(f.schema())).toList();
  }

  private static String shape(Schema t) {
    return switch (t.getType()) {
      case MAP -> "MAP<" + t.getValueType().getType() + ">";
      case UNION -> "UNION<" + String.join(",", t.getTypes().stream().map(u -> u.getType().toString()).toList()) + ">";
      default -> t.getType().toString();
    };
  }

  /** True when records of the current schema are read straight from their bytes (after the first decode). */
  boolean readsDirectly() {
    return entityKinds > 0;
  }

  /** Through Avro's reader: any schema version, and every refusal with its code and reason. */
  DecodedSample decodeGeneric(String topic, int partition, long offset, byte[] key, byte[] value) {
    TelemetrySample s;
    try {
      s = serde.decode(value);
    } catch (RecordDecodingException e) {
      return DecodedSample.refused(e.code().name(), e.getMessage(), topic, partition, offset, key, value);
    }
    Map<String, Double> m = s.getMetrics();
    double[] x = new double[metrics.size()];
    for (int i = 0; i < x.length; i++) {
      Double v = m.get(metrics.get(i));
      if (v == null) {
        return DecodedSample.refused("MISSING_METRIC", "entity " + s.getEntity() + " at "
            + s.getEventTime() + " has no value for metric " + metrics.get(i), topic, partition, offset, key, value);
      }
      if (!Double.isFinite(v)) {
        return DecodedSample.refused("NON_FINITE_VALUE", "entity " + s.getEntity() + " at "
            + s.getEventTime() + ": metric " + metrics.get(i) + " is " + v, topic, partition, offset, key, value);
      }
      if (Math.abs(v) > absurdLimit) {
        return DecodedSample.refused("ABSURD_VALUE", "entity " + s.getEntity() + " at "
            + s.getEventTime() + ": metric " + metrics.get(i) + " = " + v + " is beyond +-" + absurdLimit,
            topic, partition, offset, key, value);
      }
      x[i] = v;
    }
    if (s.getEntity().isBlank()) {
      return DecodedSample.refused("MISSING_ENTITY", "record has an empty entity", topic, partition, offset, key, value);
    }
    return DecodedSample.ok(s.getEntity(), s.getEventTime().toEpochMilli(), x, s.getSequence());
  }

  /**
   * Reads a valid sample written with the current schema (single-object header, then entity,
   * entityKind, eventTime, metrics, tags, source, sequence), or returns null (or throws {@link
   * Malformed}) for anything else, which then takes the generic path.
   */
  private DecodedSample readCurrent(byte[] b) {
    if (b == null || b.length < 10 || b[0] != (byte) 0xC3 || b[1] != (byte) 0x01) {
      return null;
    }
    long fp = 0;
    for (int i = 0; i < 8; i++) {
      fp |= (b[2 + i] & 0xFFL) << (8 * i);
    }
    if (fp != fingerprint) {
      return null;
    }
    Reader r = new Reader(b, 10);
    int entityLen = r.length();
    if (entityLen <= 0) {
      return null;
    }
    String entity = new String(b, r.pos, entityLen, StandardCharsets.UTF_8);
    r.pos += entityLen;
    int kind = r.readIndex();
    if (kind >= entityKinds) {
      return null;
    }
    long time = r.readLong();
    double[] x = new double[metrics.size()];
    boolean[] seen = new boolean[x.length];
    int found = 0;
    for (long count = r.blockCount(); count != 0; count = r.blockCount()) {
      for (long j = 0; j < count; j++) {
        int keyLen = r.length();
        int slot = index.slotOf(b, r.pos, keyLen);
        r.pos += keyLen;
        double v = r.readDouble();
        if (slot >= 0) {
          x[slot] = v;  // a repeated key: the last value wins, as in Avro's map
          if (!seen[slot]) {
            seen[slot] = true;
            found++;
          }
        }
      }
    }
    for (long count = r.blockCount(); count != 0; count = r.blockCount()) {  // tags
      for (long j = 0; j < 2 * count; j++) {
        r.pos += r.length();
      }
    }
    int source = r.readIndex();
    if (source == 1) {
      r.pos += r.length();
    } else if (source != 0) {
      return null;
    }
    long sequence = r.readLong();
    if (found != x.length || entity.isBlank()) {
      return null;
    }
    for (double v : x) {
      if (!Double.isFinite(v) || Math.abs(v) > absurdLimit) {
        return null;
      }
    }
    return DecodedSample.ok(entity, time, x, sequence);
  }

  @Override
  public TypeInformation<DecodedSample> getProducedType() {
    return TypeInformation.of(DecodedSample.class);
  }

  /**
   * Avro binary primitives over a byte array. Reading past the end or a malformed number throws
   * {@link Malformed}, which {@link #decode} takes as "not for the direct path".
   */
  private static final class Reader {
    final byte[] b;
    int pos;

    Reader(byte[] b, int pos) {
      this.b = b;
      this.pos = pos;
    }

    long readLong() {
      long z = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= b.length) {
          throw Malformed.INSTANCE;
        }
        byte x = b[pos++];
        z |= (x & 0x7FL) << shift;
        if (x >= 0) {
          return (z >>> 1) ^ -(z & 1);
        }
      }
      throw Malformed.INSTANCE;
    }

    /**
     * An enum or union index, in one byte (0..63). Avro reads these as ints; longer encodings are
     * left to it, so an odd but valid one is never read differently here.
     */
    int readIndex() {
      if (pos >= b.length || b[pos] < 0 || (b[pos] & 1) != 0) {
        throw Malformed.INSTANCE;
      }
      return b[pos++] >> 1;
    }

    /** A string or bytes length that fits in what is left. */
    int length() {
      long n = readLong();
      if (n < 0 || n > b.length - pos) {
        throw Malformed.INSTANCE;
      }
      return (int) n;
    }

    /** Items in the next block of an array or map (0 at the end); skips a block's byte size. */
    long blockCount() {
      long n = readLong();
      if (n < 0) {
        readLong();
        n = -n;
      }
      return n;
    }

    double readDouble() {
      if (pos + 8 > b.length) {
        throw Malformed.INSTANCE;
      }
      long bits = 0;
      for (int i = 7; i >= 0; i--) {
        bits = (bits << 8) | (b[pos + i] & 0xFFL);
      }
      pos += 8;
      return Double.longBitsToDouble(bits);
    }
  }

  /** Thrown inside the direct path only; one stack-less instance. */
  private static final class Malformed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Malformed INSTANCE = new Malformed();

    private Malformed() {
      super("malformed", null, false, false);
    }
  }

  /**
   * The feature set's metric names as UTF-8 bytes in an open-addressing table, looked up by a key's
   * bytes in place (no String made).
   */
  static final class MetricIndex {
    private final byte[][] names;
    private final int[] slots;
    private final int mask;

    MetricIndex(List<String> metrics) {
      int size = Integer.highestOneBit(Math.max(4, metrics.size() * 4) - 1) << 1;
      names = new byte[size][];
      slots = new int[size];
      mask = size - 1;
      for (int i = 0; i < metrics.size(); i++) {
        byte[] name = metrics.get(i).getBytes(StandardCharsets.UTF_8);
        int h = hash(name, 0, name.length) & mask;
        while (names[h] != null) {
          h = (h + 1) & mask;
        }
        names[h] = name;
        slots[h] = i;
      }
    }

    /** The metric index of the key at {@code b[off, off + len)}, or -1. */
    int slotOf(byte[] b, int off, int len) {
      for (int h = hash(b, off, len) & mask; names[h] != null; h = (h + 1) & mask) {
        byte[] name = names[h];
        if (name.length == len && Arrays.equals(name, 0, len, b, off, off + len)) {
          return slots[h];
        }
      }
      return -1;
    }

    private static int hash(byte[] b, int off, int len) {
      int h = 1;
      for (int i = off; i < off + len; i++) {
        h = 31 * h + b[i];
      }
      return h ^ (h >>> 16);
    }
  }
}
