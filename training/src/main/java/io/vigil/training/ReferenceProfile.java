package io.vigil.training;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference profile of a model's training features that the drift monitor compares live
 * features against: per feature a histogram with fixed bin edges (equal width between the training
 * minimum and maximum, plus an underflow and an overflow count), and the same for the scaled score.
 * Written as {@code reference-profile.json} beside {@code model.json}.
 */
public record ReferenceProfile(int formatVersion, String featureSetVersion, String dataSnapshot,
    long rows, List<Histogram> features, Histogram score) {

  public static final String FILE = "reference-profile.json";
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ReferenceProfile {
    requireNonNull(featureSetVersion, "featureSetVersion");
    requireNonNull(dataSnapshot, "dataSnapshot");
    features = List.copyOf(features);
    requireNonNull(score, "score");
  }

  /**
   * @param edges {@code bins + 1} increasing edges; value {@code v} is in bin {@code i} when {@code
   *     edges[i] <= v < edges[i+1]} (the last bin includes its upper edge)
   * @param counts one per bin
   * @param below values under the first edge; {@code above}: over the last
   */
  public record Histogram(String name, List<Double> edges, List<Long> counts, long below, long above,
      double mean, double std) {
    public Histogram {
      requireNonNull(name, "name");
      edges = List.copyOf(edges);
      counts = List.copyOf(counts);
      if (edges.size() != counts.size() + 1) {
        throw new IllegalArgumentException("a histogram needs bins + 1 edges");
      }
    }

    /** Histogram of {@code values[offset + k * stride]} for {@code k < n}, {@code bins} equal bins. */
    public static Histogram of(String name, float[] values, int offset, int stride, int n, int bins) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      for (int k = 0; k < n; k++) {
        double v = values[offset + k * stride];
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      double mean = n == 0 ? 0 : sum / n;
      double ss = 0;
      for (int k = 0; k < n; k++) {
        double d = values[offset + k * stride] - mean;
        ss += d * d;
      }
      if (n == 0) {
        min = 0;
        max = 1;
      }
      if (!(max > min)) {
        max = min + 1e-9 + Math.abs(min) * 1e-9;
      }
      List<Double> edges = new ArrayList<>(bins + 1);
      for (int i = 0; i <= bins; i++) {
        edges.add(i == bins ? max : min + (max - min) * i / bins);
      }
      long[] counts = new long[bins];
      for (int k = 0; k < n; k++) {
        double v = values[offset + k * stride];
        int b = (int) Math.floor((v - min) / (max - min) * bins);
        counts[Math.max(0, Math.min(bins - 1, b))]++;
      }
      List<Long> c = new ArrayList<>(bins);
      for (long x : counts) {
        c.add(x);
      }
      return new Histogram(name, edges, c, 0, 0, mean, n == 0 ? 0 : Math.sqrt(ss / n));
    }
  }

  /** Profile of the training features {@code m} and the reference scores. */
  public static ReferenceProfile of(FeatureMatrix m, float[] scores, String featureSetVersion, int bins) {
    List<Histogram> hs = new ArrayList<>(m.cols());
    for (int c = 0; c < m.cols(); c++) {
      hs.add(Histogram.of(m.featureNames().get(c), m.values(), c, m.cols(), m.rows(), bins));
    }
    return new ReferenceProfile(FORMAT_VERSION, featureSetVersion, m.snapshotId(), m.rows(), hs,
        Histogram.of("score", scores, 0, 1, scores.length, bins));
  }

  public void write(Path file) {
    try {
      JSON.writeValue(file.toFile(), this);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  public static ReferenceProfile read(Path file) {
    try {
      return JSON.readValue(file.toFile(), ReferenceProfile.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
