package io.vigil.selection;

/**
 * Why a window is asked about, in priority order (highest first). The names match the {@code
 * LabelReason} symbols of the label-request contract.
 */
public enum QueryKind {
  /** A follow-up confirmation of an open incident: is it still going on? */
  INCIDENT_FOLLOW_UP,
  /** The model is unsure about the window. */
  UNCERTAIN,
  /** A random window, so that the model's confident mistakes surface too. */
  AUDIT
}
