package io.vigil.labeling.quality;

import static java.util.Objects.requireNonNull;

import io.vigil.labeling.store.LabelService;
import io.vigil.labeling.store.LabelValue;
import io.vigil.labeling.store.StoredLabel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Agreement between annotators over the items that several of them labeled (SKIP answers are not
 * ratings), and the training export that leaves out what the team could not agree on.
 */
public final class QualityService {

  /** Categories that count as ratings. */
  static final List<String> CATEGORIES =
      List.of(LabelValue.ANOMALY.name(), LabelValue.NORMAL.name(), LabelValue.UNSURE.name());

  public record PairKappa(String a, String b, long items, double kappa) {}

  public record AnnotatorKappa(String annotator, long items, double kappa, double percentAgreement) {}

  public record Report(long itemsWithSeveralRatings, double fleissKappa, List<PairKappa> pairs,
      List<AnnotatorKappa> annotators, long unresolvedConflicts) {}

  /** One row of the training export. */
  public record TrainingLabel(String sampleId, String entity, String label, String source,
      int ratings, List<String> rootCauses) {}

  private final LabelService labels;
  private final boolean excludeUnresolved;
  private final double minAnnotatorKappa;

  public QualityService(LabelService labels, boolean excludeUnresolved, double minAnnotatorKappa) {
    this.labels = requireNonNull(labels, "labels");
    this.excludeUnresolved = excludeUnresolved;
    this.minAnnotatorKappa = minAnnotatorKappa;
  }

  public Report report() {
    return report(labels.liveAnswersBySample());
  }

  static Report report(Map<String, List<StoredLabel>> bySample) {
    // item -> annotator -> category
    List<Map<String, Integer>> items = new ArrayList<>();
    long conflicts = 0;
    for (List<StoredLabel> ls : bySample.values()) {
      Map<String, Integer> ratings = new TreeMap<>();
      boolean reviewed = false;
      for (StoredLabel l : ls) {
        if (l.kind().equals("REVIEW")) {
          reviewed = true;
        } else if (CATEGORIES.contains(l.label())) {
          ratings.put(l.annotator(), CATEGORIES.indexOf(l.label()));
        }
      }
      if (ratings.size() >= 2) {
        items.add(ratings);
        if (!reviewed && new TreeSet<>(ratings.values()).size() > 1) {
          conflicts++;
        }
      }
    }
    List<long[]> fleissRows = new ArrayList<>();
    TreeSet<String> annotators = new TreeSet<>();
    for (Map<String, Integer> r : items) {
      long[] row = new long[CATEGORIES.size()];
      r.values().forEach(c -> row[c]++);
      fleissRows.add(row);
      annotators.addAll(r.keySet());
    }
    List<PairKappa> pairs = new ArrayList<>();
    List<String> names = new ArrayList<>(annotators);
    int k = CATEGORIES.size();
    Map<String, long[][]> perAnnotator = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      for (int j = i + 1; j < names.size(); j++) {
        String a = names.get(i);
        String b = names.get(j);
        long[][] m = new long[k][k];
        long n = 0;
        for (Map<String, Integer> r : items) {
          if (r.containsKey(a) && r.containsKey(b)) {
            m[r.get(a)][r.get(b)]++;
            n++;
          }
        }
        if (n > 0) {
          pairs.add(new PairKappa(a, b, n, Agreement.cohen(m)));
          add(perAnnotator.computeIfAbsent(a, x -> new long[k][k]), m, false);
          add(perAnnotator.computeIfAbsent(b, x -> new long[k][k]), m, true);
        }
      }
    }
    List<AnnotatorKappa> per = new ArrayList<>();
    for (String a : names) {
      long[][] m = perAnnotator.getOrDefault(a, new long[k][k]);
      long n = 0;
      long agree = 0;
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
          n += m[i][j];
        }
        agree += m[i][i];
      }
      per.add(new AnnotatorKappa(a, n, Agreement.cohen(m), n == 0 ? Double.NaN : (double) agree / n));
    }
    return new Report(items.size(), Agreement.fleiss(fleissRows), pairs, per, conflicts);
  }

  private static void add(long[][] target, long[][] m, boolean transpose) {
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m.length; j++) {
        target[i][j] += transpose ? m[j][i] : m[i][j];
      }
    }
  }

  /**
   * The labels fit for training: a reviewer's resolution where there is one; otherwise the
   * annotators' answer when they agree; unresolved disagreements left out (when configured), as are
   * the labels of annotators whose agreement is below the configured kappa.
   */
  public List<TrainingLabel> trainingExport() {
    Map<String, List<StoredLabel>> bySample = labels.liveAnswersBySample();
    Report r = report(bySample);
    java.util.Set<String> excludedAnnotators = new java.util.HashSet<>();
    for (AnnotatorKappa a : r.annotators()) {
      if (!Double.isNaN(a.kappa()) && a.kappa() < minAnnotatorKappa) {
        excludedAnnotators.add(a.annotator());
      }
    }
    List<TrainingLabel> out = new ArrayList<>();
    for (Map.Entry<String, List<StoredLabel>> e : bySample.entrySet()) {
      List<StoredLabel> ls = e.getValue();
      StoredLabel review = ls.stream().filter(l -> l.kind().equals("REVIEW")).reduce((x, y) -> y).orElse(null);
      if (review != null) {
        out.add(new TrainingLabel(e.getKey(), review.entity(), review.label(), "review", ls.size() - 1,
            review.rootCauses()));
        continue;
      }
      List<StoredLabel> rated = ls.stream()
          .filter(l -> CATEGORIES.contains(l.label()) && !excludedAnnotators.contains(l.annotator()))
          .toList();
      if (rated.isEmpty()) {
        continue;
      }
      TreeSet<String> values = new TreeSet<>();
      rated.forEach(l -> values.add(l.label()));
      if (values.size() > 1 && excludeUnresolved) {
        continue;
      }
      StoredLabel first = rated.get(0);
      List<String> causes = new ArrayList<>(new TreeSet<>(
          rated.stream().flatMap(l -> l.rootCauses().stream()).toList()));
      out.add(new TrainingLabel(e.getKey(), first.entity(),
          values.size() == 1 ? values.first() : LabelValue.UNSURE.name(),
          rated.size() > 1 ? "agreement" : "single", rated.size(), causes));
    }
    return out;
  }
}
