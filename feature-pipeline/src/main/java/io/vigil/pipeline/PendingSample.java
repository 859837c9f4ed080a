package io.vigil.pipeline;

/**
 * A sample waiting in keyed state for the watermark, as builds before {@link PendingSamples} kept
 * them (one map entry and one timer per sample). Still a Flink POJO so savepoints taken by those
 * builds restore: {@link FeatureOperator} moves such entries into {@link PendingSamples}.
 */
public class PendingSample {

  public double[] values;
  public long sequence;

  public PendingSample() {}

  PendingSample(double[] values, long sequence) {
    this.values = values;
    this.sequence = sequence;
  }
}
