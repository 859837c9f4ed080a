package io.vigil.pipeline;

import io.vigil.features.FeatureValues;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.wire.AvroBinaryWriter;
import java.util.List;

/**
 * Writes a {@link FeatureVector} in Avro single-object encoding straight into a byte array: the
 * same bytes as {@code AvroSerde.of(FeatureVector.class).encode(v)} (proved by {@code
 * FeatureVectorWriterTest} and by {@code FeatureJobIT}'s parity check), without Avro's generic
 * datum writer, which costs a synchronized stream call and a boxed {@code Double} per feature. The
 * 307 values of the SMD set are most of every record, so they are copied as little-endian doubles
 * in one loop (from the primitive array when the vector was built by {@code FeatureVectors}).
 *
 * <p>Checks at construction that the current {@code FeatureVector} schema still has exactly the
 * fields this writer knows ({@link AvroBinaryWriter}), so a schema change cannot silently produce
 * other bytes. Not thread-safe (one scratch buffer); one instance per serializer.
 */
final class FeatureVectorWriter {

  /** The fields, in order, that {@link #encode} writes; checked against the generated schema. */
  private static final List<String> LAYOUT = List.of("sampleId:STRING", "entity:STRING",
      "windowStart:LONG", "windowEnd:LONG", "featureSetId:STRING", "featureSetVersion:STRING",
      "names:ARRAY<STRING>", "values:ARRAY<DOUBLE>", "sequence:LONG");

  private final AvroBinaryWriter out =
      new AvroBinaryWriter(FeatureVector.getClassSchema(), LAYOUT, "FeatureVectorWriter");

  /** The single-object encoding of {@code v}, in a new array. */
  byte[] encode(FeatureVector v) {
    out.startMessage();
    return writeBody(v);
  }

  /** The Avro binary encoding of {@code v} alone (no header), as in Avro container files. */
  byte[] encodeBody(FeatureVector v) {
    out.startBody();
    return writeBody(v);
  }

  private byte[] writeBody(FeatureVector v) {
    List<String> names = v.getNames();
    double[] values = FeatureValues.primitive(v.getValues());
    out.writeString(v.getSampleId());
    out.writeString(v.getEntity());
    out.writeLong(v.getWindowStart().toEpochMilli());
    out.writeLong(v.getWindowEnd().toEpochMilli());
    out.writeString(v.getFeatureSetId());
    out.writeString(v.getFeatureSetVersion());
    if (!names.isEmpty()) {
      out.writeLong(names.size());
      for (String n : names) {
        out.writeString(n);
      }
    }
    out.writeLong(0);
    if (values.length > 0) {
      out.writeLong(values.length);
      out.writeDoubles(values);
    }
    out.writeLong(0);
    out.writeLong(v.getSequence());
    return out.toByteArray();
  }
}
