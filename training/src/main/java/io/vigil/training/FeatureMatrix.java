package io.vigil.training;

import static java.util.Objects.requireNonNull;

import io.vigil.datasets.EntitySeries;
import io.vigil.features.FeatureSet;
import io.vigil.features.OfflineFeatures;
import io.vigil.schemas.FeatureVector;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/**
 * Feature rows of one or more entities, row-major in one array (row {@code r}, column {@code c} is
 * {@code values[r * cols + c]}), with each row's dataset sequence. Non-finite feature values are
 * stored as 0.
 *
 * @param featureNames the columns, in order
 * @param sequences each row's sequence in its entity's series
 */
public record FeatureMatrix(float[] values, int rows, int cols, long[] sequences,
    List<String> featureNames) {

  public FeatureMatrix {
    requireNonNull(values, "values");
    requireNonNull(sequences, "sequences");
    featureNames = List.copyOf(featureNames);
    if ((long) rows * cols != values.length || sequences.length != rows || featureNames.size() != cols) {
      throw new IllegalArgumentException("feature matrix of " + rows + " x " + cols
          + " does not fit its arrays");
    }
  }

  /**
   * The feature rows of {@code series} computed by the shared feature library, from row {@code
   * from} (inclusive) to row {@code to} (exclusive) of the series; the features of the first rows
   * still see the rows before {@code from}, as in streaming.
   */
  public static FeatureMatrix of(FeatureSet set, EntitySeries series, long from, long to) {
    OfflineFeatures offline = new OfflineFeatures(set, false);
    Iterator<FeatureVector> it = offline.vectors(series);
    int cols = set.featureNames().size();
    Builder b = new Builder(set.featureNames());
    long i = 0;
    while (it.hasNext() && i < to) {
      FeatureVector v = it.next();
      if (i >= from) {
        b.add(v.getSequence(), v.getValues());
      }
      i++;
    }
    if (b.rows == 0) {
      throw new IllegalArgumentException("entity " + series.entity() + " has no rows in " + from
          + ".." + to + " (" + cols + " features)");
    }
    return b.build();
  }

  /** All rows of several matrices with the same columns, in the given order. */
  public static FeatureMatrix concat(List<FeatureMatrix> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("nothing to concatenate");
    }
    List<String> names = parts.get(0).featureNames();
    int rows = 0;
    for (FeatureMatrix m : parts) {
      if (!m.featureNames().equals(names)) {
        throw new IllegalArgumentException("feature matrices with different columns");
      }
      rows += m.rows();
    }
    float[] v = new float[rows * names.size()];
    long[] seq = new long[rows];
    int r = 0;
    for (FeatureMatrix m : parts) {
      System.arraycopy(m.values(), 0, v, r * names.size(), m.values().length);
      System.arraycopy(m.sequences(), 0, seq, r, m.rows());
      r += m.rows();
    }
    return new FeatureMatrix(v, rows, names.size(), seq, names);
  }

  /** Rows {@code [from, to)} as a new matrix. */
  public FeatureMatrix slice(int from, int to) {
    if (from < 0 || to > rows || from >= to) {
      throw new IllegalArgumentException("bad slice " + from + ".." + to + " of " + rows + " rows");
    }
    float[] v = new float[(to - from) * cols];
    System.arraycopy(values, from * cols, v, 0, v.length);
    long[] s = new long[to - from];
    System.arraycopy(sequences, from, s, 0, s.length);
    return new FeatureMatrix(v, to - from, cols, s, featureNames);
  }

  /** One row's values (a copy). */
  public float[] row(int r) {
    float[] out = new float[cols];
    System.arraycopy(values, r * cols, out, 0, cols);
    return out;
  }

  /** A content id of the rows: {@code data-} and 16 hex digits of SHA-256 over values and sequences. */
  public String snapshotId() {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      ByteBuffer buf = ByteBuffer.allocate(8);
      for (String n : featureNames) {
        d.update(n.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      for (long s : sequences) {
        buf.clear();
        d.update(buf.putLong(s).array());
      }
      ByteBuffer vb = ByteBuffer.allocate(values.length * 4);
      vb.asFloatBuffer().put(values);
      d.update(vb.array());
      return "data-" + HexFormat.of().formatHex(d.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Collects rows of a known width. */
  public static final class Builder {
    private final List<String> names;
    private final int cols;
    private float[] values = new float[0];
    private long[] sequences = new long[0];
    private int rows;

    public Builder(List<String> names) {
      this.names = List.copyOf(names);
      this.cols = names.size();
    }

    public Builder add(long sequence, List<Double> row) {
      if (row.size() != cols) {
        throw new IllegalArgumentException("row of " + row.size() + " values, expected " + cols);
      }
      ensure(rows + 1);
      int base = rows * cols;
      for (int c = 0; c < cols; c++) {
        double x = row.get(c);
        values[base + c] = Double.isFinite(x) ? (float) x : 0f;
      }
      sequences[rows++] = sequence;
      return this;
    }

    public Builder add(long sequence, float[] row) {
      List<Double> boxed = new ArrayList<>(row.length);
      for (float f : row) {
        boxed.add((double) f);
      }
      return add(sequence, boxed);
    }

    private void ensure(int n) {
      if (sequences.length < n) {
        int cap = Math.max(n, sequences.length * 2 + 16);
        values = java.util.Arrays.copyOf(values, cap * cols);
        sequences = java.util.Arrays.copyOf(sequences, cap);
      }
    }

    public FeatureMatrix build() {
      return new FeatureMatrix(java.util.Arrays.copyOf(values, rows * cols), rows, cols,
          java.util.Arrays.copyOf(sequences, rows), names);
    }
  }
}
