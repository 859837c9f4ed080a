package io.vigil.schemas;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a {@link LabelEvent} means for its entity's incident (DESIGN §5), read the same way by every
 * consumer of the labels topic that keeps incident state: the label-request stage (follow-ups) and
 * the scoring stage (flags the windows of an open incident). The labeling UI keeps the incidents
 * and says on each label what it did ({@code incidentAction}); labels from elsewhere may say
 * nothing, and are read the way {@code vigil eval}'s annotator is.
 *
 * <ul>
 *   <li>{@code incidentAction = CLOSED} closes the open incident; {@code OPENED} or {@code
 *       CONTINUED} opens one (or keeps the open one open). That holds for a retracting event (an
 *       undo) too: the UI publishes the undo of the answer that opened an incident with {@code
 *       CLOSED}, and the undo of the answer that closed one with {@code OPENED}.
 *   <li>A retracting event without an action changes nothing.
 *   <li>Without an action ({@code NONE}): an {@code ANOMALY} answer opens one; a {@code NORMAL}
 *       answer closes it only when it answers no request ({@code requestId} null). A "normal" to a
 *       queued request is about that request's window — the UI asks for an incident's end with a
 *       follow-up, and marks the answer that ends it {@code CLOSED}.
 *   <li>{@code UNSURE} and {@code SKIP} without an action change nothing.
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
    switch (l.getIncidentAction()) {
      case CLOSED:
        return Effect.CLOSE;
      case OPENED:
      case CONTINUED:
        return Effect.OPEN;
      default:
        break;
    }
    if (l.getRetracts() != null) {
      return Effect.NONE;
    }
    if (l.getLabel() == LabelValue.ANOMALY) {
      return Effect.OPEN;
    }
    return l.getLabel() == LabelValue.NORMAL && l.getRequestId() == null ? Effect.CLOSE : Effect.NONE;
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
