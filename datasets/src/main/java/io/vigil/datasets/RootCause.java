package io.vigil.datasets;

import java.util.List;

/**
 * An anomaly segment with the metrics that explain it: rows {@code [startSequence, endSequence)}
 * of the entity's whole series (train rows first).
 */
public record RootCause(long startSequence, long endSequence, List<String> metrics) {
  public RootCause {
    metrics = List.copyOf(metrics);
    if (endSequence <= startSequence) {
      throw new IllegalArgumentException("empty root-cause segment " + startSequence + "-" + endSequence);
    }
  }
}
