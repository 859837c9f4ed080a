package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vigil.drift.stats.BinEdges;
import io.vigil.drift.stats.Histogram;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The drift monitor's reading of a model version's {@code reference-profile.json} (written by
 * training beside {@code model.json}): per feature a histogram with fixed edges, and the same for
 * the score. Our own record, so this module does not depend on training; unknown fields are
 * ignored, a missing or inconsistent histogram is an error.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReferenceProfile(int formatVersion, String featureSetVersion, String dataSnapshot,
    long rows, List<Hist> features, Hist score) implements java.io.Serializable {

  public static final String FILE = "reference-profile.json";

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(SerializationFeature.INDENT_OUTPUT);

  public ReferenceProfile {
    requireNonNull(featureSetVersion, "featureSetVersion");
    features = List.copyOf(requireNonNull(features, "features"));
    requireNonNull(score, "score");
  }

  /**
   * One reference histogram: {@code edges.size() == counts.size() + 1}; {@code below}/{@code above}
   * count values outside the edges; {@code mean}/{@code std} of the raw values.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Hist(String name, List<Double> edges, List<Long> counts, long below, long above,
      double mean, double std) implements java.io.Serializable {
    public Hist {
      requireNonNull(name, "name");
      edges = List.copyOf(requireNonNull(edges, "edges of " + name));
      counts = List.copyOf(requireNonNull(counts, "counts of " + name));
      if (edges.size() != counts.size() + 1) {
        throw new IllegalArgumentException("histogram " + name + " needs bins + 1 edges");
      }
    }

    public BinEdges binEdges() {
      double[] e = new double[edges.size()];
      for (int i = 0; i < e.length; i++) {
        e[i] = edges.get(i);
      }
      return new BinEdges(e);
    }

    /** The reference as a {@link Histogram} over its own edges (cells: below, bins, above). */
    public Histogram histogram() {
      BinEdges e = binEdges();
      long[] cells = new long[e.cells()];
      cells[0] = below;
      for (int i = 0; i < counts.size(); i++) {
        cells[i + 1] = counts.get(i);
      }
      cells[cells.length - 1] = above;
      return Histogram.of(e, cells, below * e.low(), above * e.high());
    }

    /** Scale of the Wasserstein distance: the std, else the range, else 1. */
    public double scale() {
      if (std > 0) {
        return std;
      }
      double range = edges.get(edges.size() - 1) - edges.get(0);
      return range > 0 ? range : 1;
    }

    /** Equal-width histogram of {@code values} between their min and max, as training builds it. */
    public static Hist of(String name, double[] values, int bins) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      for (double v : values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      int n = values.length;
      double mean = n == 0 ? 0 : sum / n;
      double ss = 0;
      for (double v : values) {
        ss += (v - mean) * (v - mean);
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
      for (double v : values) {
        int b = (int) Math.floor((v - min) / (max - min) * bins);
        counts[Math.max(0, Math.min(bins - 1, b))]++;
      }
      List<Long> c = new ArrayList<>(bins);
      for (long x : counts) {
        c.add(x);
      }
      return new Hist(name, edges, c, 0, 0, mean, n == 0 ? 0 : Math.sqrt(ss / n));
    }
  }

  public static ReferenceProfile read(Path file) {
    try {
      return JSON.readValue(file.toFile(), ReferenceProfile.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read reference profile " + file + ": " + e.getMessage(), e);
    }
  }

  public void write(Path file) {
    try {
      JSON.writeValue(file.toFile(), this);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
