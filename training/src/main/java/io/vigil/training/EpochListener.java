package io.vigil.training;

/** Told after every training epoch (progress bars, registry metrics). */
@FunctionalInterface
public interface EpochListener {

  /** @param epoch 1-based */
  void onEpoch(int epoch, int epochs, double meanLoss);

  static EpochListener none() {
    return (e, n, l) -> { };
  }
}
