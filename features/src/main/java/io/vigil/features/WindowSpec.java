package io.vigil.features;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;

/**
 * A sliding window over one entity's samples: the last {@code samples} samples, or the samples of
 * the last {@code duration} (at most {@code maxSamples} of them).
 *
 * @param name short name used in feature names, e.g. {@code w10} or {@code t15m}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WindowSpec(String name, Integer samples, Duration duration, Integer maxSamples) {

  public WindowSpec {
    requireNonNull(name, "window name");
    if (!name.matches("[a-z0-9_]{1,16}")) {
      throw new FeatureSetException("window name '" + name + "' must be 1-16 of [a-z0-9_]");
    }
    if ((samples == null) == (duration == null)) {
      throw new FeatureSetException("window " + name + ": give exactly one of samples or duration");
    }
    if (samples != null && samples < 1) {
      throw new FeatureSetException("window " + name + " is empty: samples must be >= 1, not " + samples);
    }
    if (duration != null) {
      if (duration.isZero() || duration.isNegative()) {
        throw new FeatureSetException("window " + name + " is empty: duration must be positive");
      }
      if (maxSamples == null || maxSamples < 1) {
        throw new FeatureSetException("window " + name + ": a time window needs maxSamples >= 1");
      }
    }
    if (samples != null && maxSamples != null) {
      throw new FeatureSetException("window " + name + ": maxSamples applies only to time windows");
    }
  }

  public static WindowSpec ofSamples(String name, int samples) {
    return new WindowSpec(name, samples, null, null);
  }

  public static WindowSpec ofDuration(String name, Duration duration, int maxSamples) {
    return new WindowSpec(name, null, duration, maxSamples);
  }

  /** Most samples the window can hold. */
  int capacity() {
    return samples != null ? samples : maxSamples;
  }

  /** Duration in milliseconds, or Long.MAX_VALUE for a count window. */
  long durationMillis() {
    return duration == null ? Long.MAX_VALUE : duration.toMillis();
  }
}
