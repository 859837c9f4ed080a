package io.vigil.labeling.store;

import java.util.List;

/**
 * One row of the label store: a label (kind LABEL), an undo (RETRACT, whose {@code retracts} names
 * the withdrawn label) or a reviewer's resolution of a conflict (REVIEW).
 */
public record StoredLabel(
    String eventId, String kind, String sampleId, String entity, String annotator, String label,
    List<String> rootCauses, String note, long labeledAt, String idempotencyKey, String requestId,
    String incidentId, String incidentAction, String retracts, boolean retracted) {

  public StoredLabel {
    rootCauses = List.copyOf(rootCauses);
  }
}
