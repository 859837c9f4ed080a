package io.vigil.cli.loop;

import static java.util.Objects.requireNonNull;

import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.EntitySeries;
import io.vigil.datasets.Row;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The label files of a dataset directory, looked up the way a label request names a window: by
 * entity and the event time of the window's last sample (the replay's timestamps, {@link
 * DatasetOptions#defaults()}). Rows of the unlabelled training part count as normal, as the
 * datasets assume.
 */
public final class GroundTruth {

  /**
   * What the files say about one window.
   *
   * @param labelled false for rows of the unlabelled part (answered as normal)
   */
  public record Answer(boolean anomaly, boolean labelled, List<String> rootCauses) {}

  private final Map<String, Map<Long, Answer>> byEntity = new HashMap<>();

  private GroundTruth() {}

  public static GroundTruth read(Path dir) {
    requireNonNull(dir, "dir");
    GroundTruth truth = new GroundTruth();
    Dataset dataset = Dataset.open(dir, DatasetOptions.defaults());
    for (EntitySeries s : dataset.entities()) {
      Map<Long, Answer> answers = new HashMap<>();
      Iterator<Row> rows = s.rows();
      while (rows.hasNext()) {
        Row r = rows.next();
        Boolean label = s.label(r.sequence());
        boolean anomaly = Boolean.TRUE.equals(label);
        List<String> causes = List.of();
        if (anomaly) {
          for (var rc : s.rootCauses()) {
            if (r.sequence() >= rc.startSequence() && r.sequence() < rc.endSequence()) {
              causes = rc.metrics();
              break;
            }
          }
        }
        answers.put(r.time().toEpochMilli(), new Answer(anomaly, label != null, causes));
      }
      truth.byEntity.put(s.entity(), answers);
    }
    return truth;
  }

  /** The answer for the entity's window ending at {@code windowEndMillis}, or null when the files don't have it. */
  public Answer answer(String entity, long windowEndMillis) {
    Map<Long, Answer> m = byEntity.get(entity);
    return m == null ? null : m.get(windowEndMillis);
  }

  public int entities() {
    return byEntity.size();
  }
}
