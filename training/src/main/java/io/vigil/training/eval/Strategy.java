package io.vigil.training.eval;

import java.util.Locale;

/** How the evaluation spends annotator queries. */
public enum Strategy {
  /** No queries: the cold-start model alone. */
  NONE,
  /** Windows picked at random (paced over time), plus incident follow-ups. */
  RANDOM,
  /** Windows whose score is near the operating threshold (paced), plus incident follow-ups. */
  UNCERTAINTY;

  public static Strategy parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--strategy must be none, random or uncertainty, not " + s);
    }
  }
}
