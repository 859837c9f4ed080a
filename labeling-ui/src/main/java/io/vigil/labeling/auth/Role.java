package io.vigil.labeling.auth;

/** Roles, each including the ones before it: a reviewer can annotate, an admin can review. */
public enum Role {
  ANNOTATOR,
  REVIEWER,
  ADMIN;

  public boolean atLeast(Role other) {
    return compareTo(other) >= 0;
  }
}
