package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vigil.training.ColdStartConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The result of an evaluation: per entity, their mean, and the conditions. */
public record EvalReport(String data, String strategy, ColdStartConfig config,
    List<EntityResult> entities, double seconds) {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public EvalReport {
    requireNonNull(data, "data");
    requireNonNull(strategy, "strategy");
    requireNonNull(config, "config");
    entities = List.copyOf(entities);
  }

  /** Mean of each metric over the entities ({@code hitrate_150} over those that have it; null if none). */
  public Map<String, Object> mean() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String key : EntityResult.KEYS) {
      double sum = 0;
      int n = 0;
      for (EntityResult r : entities) {
        Object v = r.toMap().get(key);
        if (v instanceof Number num && !Double.isNaN(num.doubleValue())) {
          sum += num.doubleValue();
          n++;
        }
      }
      m.put(key, n == 0 ? null : sum / n);
    }
    return m;
  }

  public Map<String, Object> toMap() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("data", data);
    root.put("strategy", strategy);
    root.put("config", config);
    Map<String, Object> es = new LinkedHashMap<>();
    for (EntityResult r : entities) {
      es.put(r.entity(), r.toMap());
    }
    root.put("entities", es);
    root.put("mean", mean());
    root.put("seconds", seconds);
    return root;
  }

  public void write(Path file) {
    write(file, Map.of());
  }

  /** Writes the report with {@code extra} top-level entries (e.g. {@code "curve"}). */
  public void write(Path file, Map<String, Object> extra) {
    Map<String, Object> doc = toMap();
    doc.putAll(extra);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      JSON.writeValue(file.toFile(), doc);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report to " + file, e);
    }
  }

  /** The printed table: one line per entity, then the mean. */
  public String table() {
    StringBuilder sb = new StringBuilder();
    String head = "%-16s %8s %12s %8s %8s %8s %12s %11s %7s %8s%n";
    sb.append(String.format(Locale.ROOT, head, "entity", "f1_best", "f1_operating", "f1_event",
        "pr_auc", "f1_pa", "f1_pa_random", "hitrate_150", "queries", "train_s"));
    for (EntityResult r : entities) {
      sb.append(String.format(Locale.ROOT, "%-16s %8.3f %12.3f %8.3f %8.3f %8.3f %12.3f %11s %7d %8.1f%n",
          r.entity(), r.f1Best(), r.f1Operating(), r.f1Event(), r.prAuc(), r.f1Pa(), r.f1PaRandom(),
          Double.isNaN(r.hitrate150()) ? "-" : String.format(Locale.ROOT, "%.3f", r.hitrate150()),
          r.queries(), r.trainSeconds()));
    }
    Map<String, Object> m = mean();
    sb.append(String.format(Locale.ROOT, "%-16s %8s %12s %8s %8s %8s %12s %11s %7s%n", "mean",
        fmt(m.get("f1_best")), fmt(m.get("f1_operating")), fmt(m.get("f1_event")), fmt(m.get("pr_auc")),
        fmt(m.get("f1_pa")), fmt(m.get("f1_pa_random")), fmt(m.get("hitrate_150")),
        m.get("queries") == null ? "-" : String.format(Locale.ROOT, "%.0f", (Double) m.get("queries"))));
    return sb.toString();
  }

  private static String fmt(Object v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.3f", ((Number) v).doubleValue());
  }
}
