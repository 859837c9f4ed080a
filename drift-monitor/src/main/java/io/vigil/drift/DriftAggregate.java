package io.vigil.drift;

import org.apache.flink.api.common.functions.AggregateFunction;

/** The incremental, mergeable window aggregate: adds binned samples into a {@link WindowAccumulator}. */
public final class DriftAggregate implements AggregateFunction<BinnedSample, WindowAccumulator, WindowAccumulator> {
  private static final long serialVersionUID = 1L;

  @Override
  public WindowAccumulator createAccumulator() {
    return new WindowAccumulator();
  }

  @Override
  public WindowAccumulator add(BinnedSample s, WindowAccumulator acc) {
    acc.addSparse(s.cells, s.outside, s.outsideValues, s.totalCells, s.probability, s.anomaly);
    return acc;
  }

  @Override
  public WindowAccumulator getResult(WindowAccumulator acc) {
    return acc;
  }

  @Override
  public WindowAccumulator merge(WindowAccumulator a, WindowAccumulator b) {
    a.merge(b);
    return a;
  }
}
