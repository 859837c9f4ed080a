package io.vigil.schemas;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a {@link LabelEvent} means for its entity's incident (DESIGN §5), read the same way by every
 * consumer of the labels topic that keeps incident state: the label-request stage (follow-ups) and
 * the scoring stage (flags the windows of an open incident).
 *
 * <ul>
 *   <li>A retracting event (an undo) changes nothing: it neither reopens nor closes an incident.
 *   <li>{@code incidentAction = CLOSED} or a {@code NORMAL} answer closes the open incident.
 *   <li>An {@code ANOMALY} answer opens one (or keeps the open one open).
 *   <li>{@code UNSURE} and {@code SKIP} change nothing.
 * </ul>
 */
public final class Incidents {

  /** The effect of one label event on its entity's incident. */
  public enum Effect {
    OPEN, CLOSE, NONE
  }

  private static final HexFormat HEX = HexFormat.of();

  private Incidents() {}

  public static Effect effectOf(LabelEvent l) {
    requireNonNull(l, "label");
    if (l.getRetracts() != null) {
      return Effect.NONE;
    }
    if (l.getIncidentAction() == IncidentAction.CLOSED || l.getLabel() == LabelValue.NORMAL) {
      return Effect.CLOSE;
    }
    return l.getLabel() == LabelValue.ANOMALY ? Effect.OPEN : Effect.NONE;
  }

  /** The incident an opening event names: its own id, or {@link #idFor} its entity and sample. */
  public static String idOf(LabelEvent l) {
    return l.getIncidentId() != null ? l.getIncidentId() : idFor(l.getEntity(), l.getSampleId());
  }

  /**
   * The model's own flag on a prediction: {@code anomaly} as written, unless the scoring stage
   * flagged the window for an open incident ({@code incidentId} set), then {@code score >=
   * threshold}. What the drift monitor estimates and checks is the model's performance.
   */
  public static boolean modelFlag(Prediction p) {
    return modelFlag(p.getAnomaly(), p.getIncidentId() != null, p.getScore(), p.getThreshold());
  }

  /** {@link #modelFlag(Prediction)} from the fields, for readers that do not build a Prediction. */
  public static boolean modelFlag(boolean anomaly, boolean inIncident, double score, double threshold) {
    return inIncident ? score >= threshold : anomaly;
  }

  /**
   * Deterministic id of an incident opened by a label that carries none (labels from outside the
   * labeling UI): {@code inc-} and 16 hex digits of SHA-256 over entity and sample id, so every
   * consumer names it alike.
   */
  public static String idFor(String entity, String sampleId) {
    requireNonNull(entity, "entity");
    requireNonNull(sampleId, "sampleId");
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest((entity + "|" + sampleId).getBytes(StandardCharsets.UTF_8));
      return "inc-" + HEX.formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
