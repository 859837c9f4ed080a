package io.vigil.training.watch;

import io.vigil.features.FeatureSet;
import io.vigil.schemas.FeatureVector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latest feature vector per sample id, bounded: beyond {@code capacity} the vector stored
 * longest ago is evicted. Values are kept as floats; feature-name lists are shared per feature-set
 * version. Not thread-safe: the watcher guards it.
 */
final class FeatureStore {

  /** One stored vector. */
  record Row(String sampleId, String entity, long windowEnd, String featureSetId, String featureSetVersion,
      List<String> names, float[] values) {}

  private final int capacity;
  private final Map<String, List<String>> namesByVersion = new HashMap<>();
  private long evicted;
  private long unusable;
  private final LinkedHashMap<String, Row> rows = new LinkedHashMap<>(1024, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Row> eldest) {
      if (size() > capacity) {
        evicted++;
        return true;
      }
      return false;
    }
  };

  /**
   * @param known feature sets whose vectors may come without names (producers omit them; the
   *     names are resolved by the feature-set version the vector carries)
   */
  FeatureStore(int capacity, List<FeatureSet> known) {
    this.capacity = capacity;
    for (FeatureSet set : known) {
      namesByVersion.put(set.version(), List.copyOf(set.featureNames()));
    }
  }

  FeatureStore(int capacity) {
    this(capacity, List.of(FeatureSet.smdDefault()));
  }

  /** Stores {@code v} (replacing an earlier vector of the same sample); false when it has no names. */
  boolean put(FeatureVector v) {
    List<String> names = v.getNames().isEmpty() ? namesByVersion.get(v.getFeatureSetVersion()) : null;
    if (names == null) {
      if (v.getNames().isEmpty() || v.getNames().size() != v.getValues().size()) {
        unusable++;
        return false;
      }
      names = namesByVersion.computeIfAbsent(v.getFeatureSetVersion(), k -> List.copyOf(v.getNames()));
      if (!names.equals(v.getNames())) {
        unusable++;
        return false;
      }
    }
    if (names.size() != v.getValues().size()) {
      unusable++;
      return false;
    }
    float[] f = new float[v.getValues().size()];
    for (int i = 0; i < f.length; i++) {
      double x = v.getValues().get(i);
      f[i] = Double.isFinite(x) ? (float) x : 0f;
    }
    rows.remove(v.getSampleId()); // re-insert: the newest vector is the youngest entry
    rows.put(v.getSampleId(), new Row(v.getSampleId(), v.getEntity(), v.getWindowEnd().toEpochMilli(),
        v.getFeatureSetId(), v.getFeatureSetVersion(), names, f));
    return true;
  }

  Row get(String sampleId) {
    return rows.get(sampleId);
  }

  int size() {
    return rows.size();
  }

  long evicted() {
    return evicted;
  }

  long unusable() {
    return unusable;
  }

  /** A copy of every stored row. */
  List<Row> snapshot() {
    return new ArrayList<>(rows.values());
  }
}
