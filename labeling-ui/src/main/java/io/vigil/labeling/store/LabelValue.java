package io.vigil.labeling.store;

import java.util.Locale;

/** What an annotator can answer. Mirrors the contract's {@code LabelValue}. */
public enum LabelValue {
  ANOMALY,
  NORMAL,
  UNSURE,
  SKIP;

  public static LabelValue parse(String s) {
    if (s == null) {
      throw new IllegalArgumentException("label is required");
    }
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("label must be one of anomaly, normal, unsure, skip");
    }
  }
}
