package io.vigil.datasets;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One time step of one entity: its position in the entity's whole series (train rows first, then
 * test rows), its event time, one value per metric, and where it was read from ({@code file:line}).
 */
public record Row(long sequence, Instant time, double[] values, String source) {
  public Row {
    requireNonNull(time, "time");
    requireNonNull(values, "values");
    requireNonNull(source, "source");
  }
}
