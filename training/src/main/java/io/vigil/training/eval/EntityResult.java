package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metrics of one entity (see {@link Metrics} for the definitions). {@code hitrate150} is NaN
 * where the data has no interpretation labels. {@code retrainRuns}: retraining runs during the
 * stream (skipped ones included); {@code promotions}: how many of them replaced the scoring model.
 */
public record EntityResult(String entity, int rows, int anomalies, double f1Best, double f1Operating,
    double f1Event, double prAuc, double f1Pa, double f1PaRandom, double hitrate150, long queries,
    double threshold, double trainSeconds, int retrainRuns, int promotions) {

  /** The report keys, in order. */
  public static final String[] KEYS = {"f1_best", "f1_operating", "f1_event", "pr_auc", "f1_pa",
      "f1_pa_random", "hitrate_150", "queries"};

  public EntityResult {
    requireNonNull(entity, "entity");
  }

  /** The metrics under their report key names ({@code hitrate_150} null when not available). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("f1_best", f1Best);
    m.put("f1_operating", f1Operating);
    m.put("f1_event", f1Event);
    m.put("pr_auc", prAuc);
    m.put("f1_pa", f1Pa);
    m.put("f1_pa_random", f1PaRandom);
    m.put("hitrate_150", Double.isNaN(hitrate150) ? null : hitrate150);
    m.put("queries", queries);
    m.put("rows", rows);
    m.put("anomalies", anomalies);
    m.put("threshold", threshold);
    m.put("train_seconds", trainSeconds);
    m.put("retrain_runs", retrainRuns);
    m.put("promotions", promotions);
    return m;
  }
}
