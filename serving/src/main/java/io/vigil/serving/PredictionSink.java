package io.vigil.serving;

/** Where answers are logged. {@link #offer} never blocks and never throws on a full or dead sink. */
public interface PredictionSink extends AutoCloseable {

  /** Hands one entry over; returns false when it was dropped (counted by the sink). */
  boolean offer(PredictionEntry entry);

  @Override
  void close();

  /** Logs nothing (Kafka disabled). */
  PredictionSink NONE = new PredictionSink() {
    @Override
    public boolean offer(PredictionEntry entry) {
      return true;
    }

    @Override
    public void close() {}
  };
}
