package io.vigil.selection;

import java.util.Locale;

/** How annotator queries are chosen outside incidents (incident follow-ups are asked under every strategy but {@link #NONE}). */
public enum Strategy {
  /** No queries at all. */
  NONE,
  /** Windows picked at random, at a configured rate. */
  RANDOM,
  /** Windows the model is unsure about (weighted by drift), at most one per cool-down. */
  UNCERTAINTY;

  public static Strategy parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("strategy must be none, random or uncertainty, not " + s);
    }
  }
}
