package io.vigil.drift;

import io.vigil.schemas.FeatureVector;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a single-object-encoded {@link FeatureVector} written with the <em>current</em> schema
 * straight into a {@link DriftInput}: the values land in a {@code float[]} without a {@code
 * List<Double>} of boxed values in between (the generic Avro path allocates one {@code Double} per
 * feature). Anything else — another writer schema (an older release, resolved by {@code AvroSerde}),
 * a bad header, a body that does not end where the schema says — returns null, and the caller takes
 * the general {@code AvroSerde} path, which reads or refuses it exactly as before. Not thread-safe.
 */
final class FastVectorReader extends FastAvroReader {

  /** The current FeatureVector schema, field by field, as this reader walks it. */
  private static final List<String> LAYOUT = List.of("sampleId:STRING", "entity:STRING", "windowStart:LONG",
      "windowEnd:LONG", "featureSetId:STRING", "featureSetVersion:STRING", "names:ARRAY:STRING",
      "values:ARRAY:DOUBLE", "sequence:LONG");

  private final Repeated featureSetVersion = new Repeated();
  private double[] buffer = new double[512];

  FastVectorReader() {
    super(FeatureVector.getClassSchema(), LAYOUT);
  }

  /** The vector as a {@code FEATURES} input, or null when the general path must read it. */
  DriftInput read(byte[] value) {
    if (!begin(value)) {
      return null;
    }
    try {
      DriftInput d = new DriftInput();
      d.kind = DriftInput.Kind.FEATURES;
      d.sampleId = readString();
      d.entity = readString();
      readLong(); // windowStart
      d.time = readLong(); // windowEnd
      skipString(); // featureSetId
      d.featureSetVersion = readString(featureSetVersion);
      String[] names = new String[0];
      int n = 0;
      for (long block = readBlockCount(); block != 0; block = readBlockCount()) {
        for (long i = 0; i < block; i++) {
          if (n == names.length) {
            names = Arrays.copyOf(names, Math.max(16, n * 2));
          }
          names[n++] = readString();
        }
      }
      d.names = n == 0 ? null : n == names.length ? names : Arrays.copyOf(names, n);
      int m = 0;
      for (long block = readBlockCount(); block != 0; block = readBlockCount()) {
        if (block < 0 || pos + 8 * block > b.length) {
          end();
          return null;
        }
        int k = (int) block;
        if (m + k > buffer.length) {
          buffer = Arrays.copyOf(buffer, Math.max(m + k, buffer.length * 2));
        }
        for (int i = 0; i < k; i++) {
          buffer[m++] = (double) DOUBLE.get(b, pos);
          pos += 8;
        }
      }
      d.values = FeatureValues.narrow(buffer, m);
      readLong(); // sequence
      return end() ? d : null;
    } catch (RuntimeException e) {
      end();
      return null; // the general path reads it again and says what is wrong
    }
  }
}
