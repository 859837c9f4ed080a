package io.vigil.drift;

import io.vigil.schemas.Incidents;
import io.vigil.schemas.Prediction;
import java.util.List;

/**
 * Reads a single-object-encoded {@link Prediction} written with the <em>current</em> schema straight
 * into a {@code PREDICTION} {@link DriftInput}, skipping what the drift job does not use (the
 * attributions map, which the generic Avro path builds as a {@code HashMap} of boxed values for
 * every prediction, the alias, latency, timestamps) and reusing the model name, version and
 * feature-set version strings while they repeat. Anything else — another writer schema, a bad
 * header, a body that does not end where the schema says — returns null, and the caller takes the
 * general {@code AvroSerde} path, which reads or refuses it exactly as before. Not thread-safe.
 */
final class FastPredictionReader extends FastAvroReader {

  /** The current Prediction schema, field by field, as this reader walks it. */
  private static final List<String> LAYOUT = List.of("sampleId:STRING", "entity:STRING", "windowStart:LONG",
      "windowEnd:LONG", "modelName:STRING", "modelVersion:STRING", "modelAlias:UNION:NULL,STRING",
      "score:DOUBLE", "probability:UNION:NULL,DOUBLE", "uncertainty:DOUBLE", "threshold:DOUBLE",
      "anomaly:BOOLEAN", "attributions:MAP:DOUBLE", "latencyMicros:LONG", "predictedAt:LONG", "shadow:BOOLEAN",
      "featureSetVersion:UNION:NULL,STRING", "incidentId:UNION:NULL,STRING");

  private final Repeated modelName = new Repeated();
  private final Repeated modelVersion = new Repeated();
  private final Repeated featureSetVersion = new Repeated();

  FastPredictionReader() {
    super(Prediction.getClassSchema(), LAYOUT);
  }

  /** The prediction as a {@code PREDICTION} input, or null when the general path must read it. */
  DriftInput read(byte[] value) {
    if (!begin(value)) {
      return null;
    }
    try {
      DriftInput d = new DriftInput();
      d.kind = DriftInput.Kind.PREDICTION;
      d.sampleId = readString();
      d.entity = readString();
      readLong(); // windowStart
      d.time = readLong(); // windowEnd
      d.modelName = readString(modelName);
      d.modelVersion = readString(modelVersion);
      if (readBranch(2) == 1) {
        skipString(); // modelAlias
      }
      d.score = readDouble();
      d.probability = readBranch(2) == 1 ? readDouble() : Double.NaN;
      readDouble(); // uncertainty
      double threshold = readDouble();
      boolean anomaly = readBoolean();
      for (long block = readBlockCount(); block != 0; block = readBlockCount()) {
        for (long i = 0; i < block; i++) { // attributions: not used here
          skipString();
          readDouble();
        }
      }
      readLong(); // latencyMicros
      readLong(); // predictedAt
      readBoolean(); // shadow
      d.featureSetVersion = readBranch(2) == 1 ? readString(featureSetVersion) : null;
      boolean inIncident = readBranch(2) == 1;
      if (inIncident) {
        skipString(); // incidentId
      }
      d.anomaly = Incidents.modelFlag(anomaly, inIncident, d.score, threshold);
      return end() ? d : null;
    } catch (RuntimeException e) {
      end();
      return null; // the general path reads it again and says what is wrong
    }
  }
}
