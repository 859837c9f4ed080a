package io.vigil.training.watch;

/** Told about every decision of a {@link RetrainWatcher}, on the watcher's run thread. */
@FunctionalInterface
public interface RetrainListener {

  void onDecision(RetrainDecision decision);

  static RetrainListener none() {
    return d -> { };
  }
}
