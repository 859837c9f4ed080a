package io.vigil.labeling.auth;

import static java.util.Objects.requireNonNull;

/** The signed-in person of one request, with the CSRF token of their session. */
public record Principal(String username, Role role, String csrfToken) {
  public Principal {
    requireNonNull(username, "username");
    requireNonNull(role, "role");
    requireNonNull(csrfToken, "csrfToken");
  }

  public boolean isAtLeast(Role r) {
    return role.atLeast(r);
  }
}
