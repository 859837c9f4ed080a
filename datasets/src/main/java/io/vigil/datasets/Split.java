package io.vigil.datasets;

/** Which part of a dataset to read. */
public enum Split {
  /** The unlabelled first part (assumed mostly normal). */
  TRAIN,
  /** The labelled second part. */
  TEST,
  /** Train rows, then test rows, as one continuous series. */
  ALL
}
