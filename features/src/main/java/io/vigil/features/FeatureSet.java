package io.vigil.features;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A declared feature set: which metrics, which windows, which aggregations, the EWMA residual
 * z-score, and the across-metric summary. Its {@link #version()} is a fingerprint of the
 * declaration that every {@code FeatureVector} carries, so a model knows exactly what it was fed.
 *
 * <p>Output order, per metric: {@code metric.last}, then for each window each aggregation ({@code
 * metric.w10.mean}, ...), then {@code metric.ewma_z} when enabled; then the summary ({@code
 * summary.max_abs_z}, {@code summary.mean_abs_z}, {@code summary.n_abs_z_gt_3}).
 *
 * @param ewmaAlpha smoothing of the EWMA mean/variance, in (0, 1); null = no EWMA z-score
 * @param zFloor smallest standard deviation used when dividing by the EWMA spread
 */
public record FeatureSet(String id, List<String> metrics, List<WindowSpec> windows,
    List<Aggregation> aggregations, Double ewmaAlpha, double zFloor, boolean summary) {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .registerModule(new JavaTimeModule())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

  public FeatureSet {
    requireNonNull(id, "feature set id");
    if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new FeatureSetException("feature set id '" + id + "' must be 1-64 of [A-Za-z0-9._-]");
    }
    metrics = List.copyOf(requireNonNull(metrics, "metrics"));
    windows = List.copyOf(windows == null ? List.of() : windows);
    aggregations = List.copyOf(aggregations == null ? List.of() : aggregations);
    if (metrics.isEmpty()) {
      throw new FeatureSetException("feature set " + id + " declares no metrics");
    }
    Set<String> seen = new HashSet<>();
    for (String m : metrics) {
      if (m == null || m.isBlank() || !seen.add(m)) {
        throw new FeatureSetException("feature set " + id + ": blank or repeated metric '" + m + "'");
      }
    }
    Set<String> windowNames = new HashSet<>();
    for (WindowSpec w : windows) {
      if (!windowNames.add(w.name())) {
        throw new FeatureSetException("feature set " + id + ": repeated window name " + w.name());
      }
    }
    if (!windows.isEmpty() && aggregations.isEmpty()) {
      throw new FeatureSetException("feature set " + id + ": windows declared but no aggregations");
    }
    if (ewmaAlpha != null && !(ewmaAlpha > 0 && ewmaAlpha < 1)) {
      throw new FeatureSetException("feature set " + id + ": ewmaAlpha must be in (0, 1), not " + ewmaAlpha);
    }
    if (!(zFloor > 0) || !Double.isFinite(zFloor)) {
      throw new FeatureSetException("feature set " + id + ": zFloor must be positive");
    }
    if (summary && ewmaAlpha == null) {
      throw new FeatureSetException("feature set " + id + ": the summary needs the EWMA z-score (ewmaAlpha)");
    }
  }

  /** The default set for a list of metrics: last value, a 10-sample window, EWMA z, summary. */
  public static FeatureSet standard(String id, List<String> metrics) {
    return new FeatureSet(id, metrics, List.of(WindowSpec.ofSamples("w10", 10)),
        List.of(Aggregation.values()), 0.05, 0.01, true);
  }

  /** The default feature set of the Server Machine Dataset's 38 metrics (bundled resource). */
  public static FeatureSet smdDefault() {
    try (InputStream in = FeatureSet.class.getResourceAsStream("/io/vigil/features/smd-default.yaml")) {
      return YAML.readValue(in, FeatureSet.class);
    } catch (IOException e) {
      throw new FeatureSetException("cannot read the bundled SMD feature set", e);
    }
  }

  /** Reads a declaration from YAML; unknown keys and invalid values are errors. */
  public static FeatureSet load(Path file) {
    try {
      return YAML.readValue(Files.readAllBytes(file), FeatureSet.class);
    } catch (IOException e) {
      Throwable c = e.getCause() instanceof FeatureSetException fe ? fe : e;
      throw new FeatureSetException(file + ": not a valid feature set: " + c.getMessage(), e);
    }
  }

  /** Parses a declaration from YAML text. */
  public static FeatureSet parse(String yaml) {
    try {
      return YAML.readValue(yaml, FeatureSet.class);
    } catch (IOException e) {
      throw new FeatureSetException("not a valid feature set: " + e.getMessage(), e);
    }
  }

  public String toYaml() {
    try {
      return YAML.writeValueAsString(this);
    } catch (IOException e) {
      throw new FeatureSetException("cannot render feature set", e);
    }
  }

  /** Fingerprint of the declaration: {@code fs-} and 16 hex digits of SHA-256 of its YAML. */
  public String version() {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(toYaml().getBytes(StandardCharsets.UTF_8));
      return "fs-" + HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Names of the output features, in output order. */
  public List<String> featureNames() {
    List<String> names = new ArrayList<>();
    for (String m : metrics) {
      names.add(m + ".last");
      for (WindowSpec w : windows) {
        for (Aggregation a : aggregations) {
          names.add(m + "." + w.name() + "." + a.key());
        }
      }
      if (ewmaAlpha != null) {
        names.add(m + ".ewma_z");
      }
    }
    if (summary) {
      names.add("summary.max_abs_z");
      names.add("summary.mean_abs_z");
      names.add("summary.n_abs_z_gt_3");
    }
    return names;
  }

  /** Checks that every declared metric is among {@code available}; names the missing ones. */
  public void requireMetrics(java.util.Collection<String> available, String where) {
    List<String> missing = metrics.stream().filter(m -> !available.contains(m)).toList();
    if (!missing.isEmpty()) {
      throw new FeatureSetException("feature set " + id + " uses metrics that " + where
          + " does not have: " + missing);
    }
  }
}
