package io.vigil.registry.server.artifacts;

import static java.util.Objects.requireNonNull;

import io.vigil.registry.server.MlflowException;
import java.util.Locale;

/**
 * The configured artifact root {@code s3://bucket/prefix}, and the checks that keep every {@code
 * source} and {@code artifact_location} inside it. Accepted locations: {@code s3://bucket/prefix/...}
 * under this root, {@code mlflow-artifacts:/...} (resolved against this root), and for model
 * versions {@code runs:/RUN_ID/path} and {@code models:/...} references. Refused: any other scheme
 * ({@code file:}, {@code http:}, {@code https:}, ...), scheme-relative {@code //host}, other
 * buckets or prefixes, fragments ({@code #}), queries ({@code ?}), and any path that fails {@link
 * ArtifactPaths#relative}.
 */
public record ArtifactRoot(String bucket, String prefix) {

  public ArtifactRoot {
    requireNonNull(bucket, "bucket");
    requireNonNull(prefix, "prefix");
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("artifact root bucket '" + bucket + "' is not a valid bucket name");
    }
    if (!prefix.isEmpty()) {
      prefix = ArtifactPaths.relative(prefix);
    }
  }

  /** Parses {@code s3://bucket} or {@code s3://bucket/prefix}. */
  public static ArtifactRoot parse(String uri) {
    requireNonNull(uri, "uri");
    if (!uri.startsWith("s3://")) {
      throw new IllegalArgumentException("artifact root must be s3://bucket[/prefix]: " + uri);
    }
    String rest = uri.substring("s3://".length());
    while (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    int slash = rest.indexOf('/');
    try {
      return slash < 0 ? new ArtifactRoot(rest, "") : new ArtifactRoot(rest.substring(0, slash), rest.substring(slash + 1));
    } catch (MlflowException e) {
      throw new IllegalArgumentException("artifact root prefix is not a clean path: " + uri);
    }
  }

  public String uri() {
    return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
  }

  /** The object key of a path relative to the root (already validated). */
  public String key(String relative) {
    if (relative.isEmpty()) {
      return prefix;
    }
    return prefix.isEmpty() ? relative : prefix + "/" + relative;
  }

  /** The URI of a path relative to the root. */
  public String uriOf(String relative) {
    return relative.isEmpty() ? uri() : uri() + "/" + relative;
  }

  /**
   * The path relative to this root of an {@code s3://} or {@code mlflow-artifacts:} location, or
   * INVALID_PARAMETER_VALUE if it is anything else or outside the root.
   */
  public String relativeOf(String location, String what) {
    requireNonNull(location, what);
    if (location.indexOf('#') >= 0 || location.indexOf('?') >= 0) {
      throw MlflowException.invalid(what + " must not contain '#' or '?'");
    }
    String lower = location.toLowerCase(Locale.ROOT);
    String rest;
    if (lower.startsWith("s3://")) {
      String afterScheme = location.substring("s3://".length());
      int slash = afterScheme.indexOf('/');
      String b = slash < 0 ? afterScheme : afterScheme.substring(0, slash);
      if (!b.equals(bucket)) {
        throw MlflowException.invalid(what + " must be inside the artifact root " + uri());
      }
      String path = slash < 0 ? "" : afterScheme.substring(slash + 1);
      rest = path;
      if (!prefix.isEmpty()) {
        if (!(path.equals(prefix) || path.startsWith(prefix + "/"))) {
          throw MlflowException.invalid(what + " must be inside the artifact root " + uri());
        }
        rest = path.equals(prefix) ? "" : path.substring(prefix.length() + 1);
      }
    } else if (lower.startsWith("mlflow-artifacts:")) {
      rest = location.substring("mlflow-artifacts:".length());
      if (rest.startsWith("//")) {
        throw MlflowException.invalid(what + ": mlflow-artifacts URIs with a host are not supported");
      }
      while (rest.startsWith("/")) {
        rest = rest.substring(1);
      }
    } else {
      throw MlflowException.invalid(
          what + " must be an s3:// or mlflow-artifacts: location inside the artifact root " + uri());
    }
    while (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    return rest.isEmpty() ? "" : ArtifactPaths.relative(rest);
  }

  /** Normalises a location to {@code s3://bucket/prefix/...}, checking it stays in the root. */
  public String checkedLocation(String location, String what) {
    return uriOf(relativeOf(location, what));
  }
}
