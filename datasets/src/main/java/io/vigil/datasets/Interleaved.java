package io.vigil.datasets;

import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;

/**
 * Merges the rows of several entities into one stream in event-time order, as a cluster would send
 * them (ties broken by entity name, so the order is deterministic). Lazy: holds one row per entity.
 */
public final class Interleaved implements Iterator<Interleaved.EntityRow> {

  /** A row and the series it belongs to. */
  public record EntityRow(EntitySeries series, Row row) {}

  private record Head(EntitySeries series, Row row, Iterator<Row> rest) {}

  private final PriorityQueue<Head> heads =
      new PriorityQueue<>(Comparator.comparing((Head h) -> h.row().time())
          .thenComparing(h -> h.series().entity()));
  private final List<EntitySeries> series;
  private boolean started;

  public Interleaved(List<EntitySeries> series) {
    this.series = List.copyOf(series);
  }

  @Override
  public boolean hasNext() {
    if (!started) {
      started = true;
      for (EntitySeries s : series) {
        advance(s, s.rows());
      }
    }
    return !heads.isEmpty();
  }

  @Override
  public EntityRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Head h = heads.poll();
    advance(h.series(), h.rest());
    return new EntityRow(h.series(), h.row());
  }

  private void advance(EntitySeries s, Iterator<Row> it) {
    if (it.hasNext()) {
      heads.add(new Head(s, it.next(), it));
    }
  }
}
