package io.vigil.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.schemas.wire.AvroSerde;
import io.vigil.schemas.wire.RecordDecodingException;
import io.vigil.schemas.wire.SchemaHistory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class SchemaEvolutionTest {

  @Test
  void everyCurrentSchemaReadsEveryReleasedOne() {
    assertThat(SchemaHistory.versions()).isNotEmpty();
    for (Class<? extends org.apache.avro.specific.SpecificRecordBase> type : VigilRecords.ALL) {
      assertThat(SchemaHistory.released(VigilRecords.schemaOf(type).getFullName()))
          .as("released schemas of " + type.getSimpleName()).isNotEmpty();
    }
    assertThat(SchemaHistory.checkCurrentAgainstReleases()).isEmpty();
  }

  @Test
  void rejectsANewRequiredFieldWithoutDefault() {
    Schema released = SchemaHistory.released("v1", TelemetrySample.getClassSchema().getFullName());
    Schema changed = withExtraField(released, new Schema.Field("region", Schema.create(Schema.Type.STRING)));
    assertThat(SchemaHistory.check(changed, released))
        .singleElement().asString().contains("region");
  }

  @Test
  void acceptsANewFieldWithADefault() {
    Schema released = SchemaHistory.released("v1", TelemetrySample.getClassSchema().getFullName());
    Schema changed = withExtraField(released,
        new Schema.Field("region", Schema.create(Schema.Type.STRING), null, "unknown"));
    assertThat(SchemaHistory.check(changed, released)).isEmpty();
  }

  @Test
  void rejectsAChangedFieldType() {
    Schema released = SchemaHistory.released("v1", LabelEvent.getClassSchema().getFullName());
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : released.getFields()) {
      Schema type = f.name().equals("annotator") ? Schema.create(Schema.Type.INT) : f.schema();
      fields.add(new Schema.Field(f.name(), type, f.doc(), f.defaultVal()));
    }
    Schema changed = Schema.createRecord(released.getName(), released.getDoc(), released.getNamespace(), false, fields);
    assertThat(SchemaHistory.check(changed, released)).isNotEmpty();
  }

  @Test
  void decodesWhatItEncodesForEveryRecord() {
    for (var record : ExampleRecords.all()) {
      @SuppressWarnings("unchecked")
      AvroSerde<org.apache.avro.specific.SpecificRecordBase> serde =
          (AvroSerde<org.apache.avro.specific.SpecificRecordBase>) (AvroSerde<?>) AvroSerde.of(record.getClass());
      assertThat(serde.decode(serde.encode(record))).isEqualTo(record);
    }
  }

  @Test
  void readsAPredictionWrittenBeforeItHadAnIncidentId() throws Exception {
    Schema v1 = SchemaHistory.released("v1", Prediction.getClassSchema().getFullName());
    assertThat(v1.getField("incidentId")).isNull();
    Prediction current = ExampleRecords.prediction();
    GenericRecord old = new GenericData.Record(v1);
    for (Schema.Field f : v1.getFields()) {
      old.put(f.name(), GenericData.get().deepCopy(f.schema(), toGeneric(current.get(f.name()))));
    }
    ByteBuffer bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old);
    byte[] raw = new byte[bytes.remaining()];
    bytes.get(raw);
    Prediction read = AvroSerde.of(Prediction.class).decode(raw);
    assertThat(read.getIncidentId()).isNull();
    assertThat(read.getSampleId()).isEqualTo(current.getSampleId());
    assertThat(read.getScore()).isEqualTo(current.getScore());
  }

  /** Logical-type values (Instant) as the plain longs a generic record writes. */
  private static Object toGeneric(Object v) {
    return v instanceof java.time.Instant i ? i.toEpochMilli() : v;
  }

  @Test
  void refusesBytesThatAreNotSingleObjectEncoded() {
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    assertThatThrownBy(() -> serde.decode("{\"entity\":\"x\"}".getBytes()))
        .isInstanceOfSatisfying(RecordDecodingException.class,
            e -> assertThat(e.code()).isEqualTo(RecordDecodingException.Code.BAD_HEADER))
        .hasMessageContaining("TelemetrySample");
  }

  @Test
  void refusesAnUnknownWriterSchema() throws Exception {
    Schema unknown = SchemaBuilder.record("Other").namespace("x").fields().requiredString("a").endRecord();
    GenericRecord r = new GenericData.Record(unknown);
    r.put("a", "b");
    ByteBuffer bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), unknown).encode(r);
    byte[] raw = new byte[bytes.remaining()];
    bytes.get(raw);
    assertThatThrownBy(() -> AvroSerde.of(TelemetrySample.class).decode(raw))
        .isInstanceOfSatisfying(RecordDecodingException.class,
            e -> assertThat(e.code()).isEqualTo(RecordDecodingException.Code.UNKNOWN_SCHEMA));
  }

  @Test
  void refusesATruncatedBody() {
    AvroSerde<LabelEvent> serde = AvroSerde.of(LabelEvent.class);
    byte[] good = serde.encode(ExampleRecords.labelEvent());
    byte[] cut = java.util.Arrays.copyOf(good, 14);
    assertThatThrownBy(() -> serde.decode(cut))
        .isInstanceOfSatisfying(RecordDecodingException.class,
            e -> assertThat(e.code()).isEqualTo(RecordDecodingException.Code.CORRUPT_BODY));
  }

  private static Schema withExtraField(Schema base, Schema.Field extra) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : base.getFields()) {
      fields.add(new Schema.Field(f.name(), f.schema(), f.doc(), f.defaultVal()));
    }
    fields.add(extra);
    return Schema.createRecord(base.getName(), base.getDoc(), base.getNamespace(), false, fields);
  }
}
