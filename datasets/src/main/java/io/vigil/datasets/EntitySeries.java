package io.vigil.datasets;

import static java.util.Objects.requireNonNull;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The series of one entity in a dataset split. {@link #rows()} reads lazily from disk and can be
 * called again; reading errors name the file and line.
 */
public final class EntitySeries {

  /** Reads the rows of one series. */
  interface RowSource {
    Iterator<Row> open();
  }

  private final String entity;
  private final List<String> metricNames;
  private final RowSource rows;
  private final Map<Long, Boolean> labels;
  private final List<RootCause> rootCauses;

  EntitySeries(String entity, List<String> metricNames, RowSource rows, Map<Long, Boolean> labels,
      List<RootCause> rootCauses) {
    this.entity = requireNonNull(entity, "entity");
    this.metricNames = List.copyOf(metricNames);
    this.rows = requireNonNull(rows, "rows");
    this.labels = Map.copyOf(labels);
    this.rootCauses = List.copyOf(rootCauses);
  }

  public String entity() {
    return entity;
  }

  public List<String> metricNames() {
    return metricNames;
  }

  /** The rows in time order. The iterator throws {@link DatasetException} on malformed input. */
  public Iterator<Row> rows() {
    return rows.open();
  }

  /**
   * The ground-truth label of the row with this sequence: true = anomalous, false = normal, null =
   * unknown (e.g. unlabelled train rows).
   */
  public Boolean label(long sequence) {
    return labels.get(sequence);
  }

  /** Number of labelled rows. */
  public int labelledRows() {
    return labels.size();
  }

  /** Root-cause segments where the dataset has them (SMD interpretation labels), else empty. */
  public List<RootCause> rootCauses() {
    return rootCauses;
  }

  /** Reads every row once; returns how many there are or throws on the first malformed one. */
  public long validate() {
    long n = 0;
    Iterator<Row> it = rows();
    while (it.hasNext()) {
      it.next();
      n++;
    }
    return n;
  }
}
