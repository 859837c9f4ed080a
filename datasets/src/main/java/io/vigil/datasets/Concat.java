package io.vigil.datasets;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/** Iterates several lazily opened iterators one after the other. */
final class Concat<T> implements Iterator<T> {

  private final Iterator<Supplier<Iterator<T>>> parts;
  private Iterator<T> current;

  Concat(List<Supplier<Iterator<T>>> parts) {
    this.parts = List.copyOf(parts).iterator();
  }

  @Override
  public boolean hasNext() {
    while (current == null || !current.hasNext()) {
      if (!parts.hasNext()) {
        return false;
      }
      current = parts.next().get();
    }
    return true;
  }

  @Override
  public T next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return current.next();
  }
}
