package io.vigil.schemas;

import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;

/** Every record type Vigil puts on Kafka, in one place. */
public final class VigilRecords {

  /** All contract record classes, in dependency order (records used inside others come first). */
  public static final List<Class<? extends SpecificRecordBase>> ALL =
      List.of(
          TelemetrySample.class,
          FeatureVector.class,
          Prediction.class,
          LabelRequest.class,
          LabelEvent.class,
          DriftReport.class,
          ModelEvent.class,
          DeadLetter.class);

  private VigilRecords() {}

  /** The current (writer) schema of a contract record class. */
  public static Schema schemaOf(Class<? extends SpecificRecordBase> type) {
    try {
      return (Schema) type.getField("SCHEMA$").get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(type.getName() + " is not a generated Avro record", e);
    }
  }

  /** Finds a contract record class by its simple or full name. */
  public static Optional<Class<? extends SpecificRecordBase>> byName(String name) {
    return ALL.stream()
        .filter(c -> c.getSimpleName().equals(name) || c.getName().equals(name))
        .findFirst();
  }
}
