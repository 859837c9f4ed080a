package io.vigil.drift;

import org.apache.flink.api.common.functions.AggregateFunction;

/**
 * The incremental, mergeable window aggregate: merges the parts of a window that the subtasks before
 * it added up ({@link PartialWindowOperator}) into one {@link WindowAccumulator}.
 */
public final class DriftAggregate implements AggregateFunction<PartialWindow, WindowAccumulator, WindowAccumulator> {
  private static final long serialVersionUID = 1L;

  @Override
  public WindowAccumulator createAccumulator() {
    return new WindowAccumulator();
  }

  @Override
  public WindowAccumulator add(PartialWindow p, WindowAccumulator acc) {
    acc.merge(p.acc);
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
