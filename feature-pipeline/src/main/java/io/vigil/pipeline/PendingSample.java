package io.vigil.pipeline;

/** A sample waiting in keyed state for the watermark to pass its event time. Flink POJO. */
public class PendingSample {

  public double[] values;
  public long sequence;

  public PendingSample() {}

  PendingSample(double[] values, long sequence) {
    this.values = values;
    this.sequence = sequence;
  }
}
