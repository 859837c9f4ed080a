package io.vigil.features;

import static java.util.Objects.requireNonNull;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Row;
import io.vigil.schemas.FeatureVector;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

/**
 * The offline path: the same feature library over a dataset directory, one entity at a time, in
 * row order. Used for training and evaluation; the parity test proves it equals the online job.
 */
public final class OfflineFeatures {

  private final FeatureSet set;
  private final FeatureEngine engine;
  private final String version;
  private final boolean includeNames;

  public OfflineFeatures(FeatureSet set, boolean includeNames) {
    this.set = requireNonNull(set, "set");
    this.engine = new FeatureEngine(set);
    this.version = set.version();
    this.includeNames = includeNames;
  }

  /** Checks that the dataset has every declared metric, then computes every entity's vectors. */
  public void compute(Dataset dataset, Consumer<FeatureVector> sink) {
    for (EntitySeries s : dataset.entities()) {
      Iterator<FeatureVector> it = vectors(s);
      while (it.hasNext()) {
        sink.accept(it.next());
      }
    }
  }

  /** The vectors of one entity, lazily, one per row. */
  public Iterator<FeatureVector> vectors(EntitySeries series) {
    set.requireMetrics(series.metricNames(), "entity " + series.entity());
    int[] columns = new int[set.metrics().size()];
    for (int i = 0; i < columns.length; i++) {
      columns[i] = series.metricNames().indexOf(set.metrics().get(i));
    }
    List<String> names = includeNames ? set.featureNames() : List.of();
    EntityState state = engine.newState();
    Iterator<Row> rows = series.rows();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public FeatureVector next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        Row r = rows.next();
        double[] x = new double[columns.length];
        for (int i = 0; i < columns.length; i++) {
          x[i] = r.values()[columns[i]];
        }
        long t = r.time().toEpochMilli();
        double[] f = engine.update(state, t, x);
        return FeatureVectors.of(series.entity(), engine.windowStart(state), t, set, version, names,
            f, r.sequence());
      }
    };
  }
}
