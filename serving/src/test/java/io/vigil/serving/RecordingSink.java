package io.vigil.serving;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A prediction sink that keeps what it is given (a hand-written test fake). */
final class RecordingSink implements PredictionSink {

  final List<PredictionEntry> entries = new CopyOnWriteArrayList<>();

  @Override
  public boolean offer(PredictionEntry entry) {
    entries.add(entry);
    return true;
  }

  @Override
  public void close() {}
}
