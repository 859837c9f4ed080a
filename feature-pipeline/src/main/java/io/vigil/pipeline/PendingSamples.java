package io.vigil.pipeline;

import java.util.Arrays;

/**
 * One entity's samples waiting for the watermark to pass their event time, sorted by event time:
 * {@code size} entries, entry {@code i} at {@code times[i]} with {@code sequences[i]} and its
 * values at {@code values[i * width .. (i + 1) * width)}. A Flink POJO of primitive arrays kept in
 * keyed state as one value per entity, so buffering a sample is an append (samples nearly always
 * arrive in order) and the operator needs only one event-time timer per entity, at {@link
 * #headTime()}.
 */
public class PendingSamples {

  private static final int INITIAL_CAPACITY = 4;
  /** An emptied buffer larger than this gives its arrays back (a catch-up burst is over). */
  private static final int RETAINED_CAPACITY = 64;

  public int size;
  /** Values per sample (the feature set's metrics). */
  public int width;
  public long[] times;
  public long[] sequences;
  public double[] values;
  /**
   * Each sample's W3C trace context ({@code traceparent}, {@code tracestate}), or null: the arrays
   * are made when the entity's first traced sample arrives, so untraced telemetry costs nothing.
   */
  public String[] traceparents;
  public String[] tracestates;

  public PendingSamples() {}

  static PendingSamples empty(int width) {
    PendingSamples p = new PendingSamples();
    p.width = width;
    p.allocate(INITIAL_CAPACITY);
    return p;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Event time of the earliest pending sample; only when not empty. */
  long headTime() {
    return times[0];
  }

  /** True when a sample at {@code time} is pending. */
  boolean contains(long time) {
    return Arrays.binarySearch(times, 0, size, time) >= 0;
  }

  /** Adds a sample (a time not pending yet) at its place in event-time order; copies the values. */
  void insert(long time, double[] x, long sequence) {
    insert(time, x, sequence, null, null);
  }

  /** The same with the sample's trace context (both may be null). */
  void insert(long time, double[] x, long sequence, String traceparent, String tracestate) {
    if (size == times.length) {
      grow();
    }
    if (traceparent != null && traceparents == null) {
      traceparents = new String[times.length];
      tracestates = new String[times.length];
    }
    int i = size;
    while (i > 0 && times[i - 1] > time) {
      i--;
    }
    if (i < size) {
      System.arraycopy(times, i, times, i + 1, size - i);
      System.arraycopy(sequences, i, sequences, i + 1, size - i);
      System.arraycopy(values, i * width, values, (i + 1) * width, (size - i) * width);
      if (traceparents != null) {
        System.arraycopy(traceparents, i, traceparents, i + 1, size - i);
        System.arraycopy(tracestates, i, tracestates, i + 1, size - i);
      }
    }
    if (traceparents != null) {
      traceparents[i] = traceparent;
      tracestates[i] = tracestate;
    }
    times[i] = time;
    sequences[i] = sequence;
    System.arraycopy(x, 0, values, i * width, width);
    size++;
  }

  /** Number of leading (earliest) samples at or before {@code time}. */
  int countUpTo(long time) {
    int n = 0;
    while (n < size && times[n] <= time) {
      n++;
    }
    return n;
  }

  /** Copies the values of entry {@code i} into {@code into}. */
  void valuesOf(int i, double[] into) {
    System.arraycopy(values, i * width, into, 0, width);
  }

  /** Drops the {@code n} earliest samples. */
  void removeFirst(int n) {
    int rest = size - n;
    if (rest == 0 && times.length > RETAINED_CAPACITY) {
      size = 0;
      allocate(INITIAL_CAPACITY);
      return;
    }
    System.arraycopy(times, n, times, 0, rest);
    System.arraycopy(sequences, n, sequences, 0, rest);
    System.arraycopy(values, n * width, values, 0, rest * width);
    if (traceparents != null) {
      System.arraycopy(traceparents, n, traceparents, 0, rest);
      System.arraycopy(tracestates, n, tracestates, 0, rest);
      Arrays.fill(traceparents, rest, size, null);
      Arrays.fill(tracestates, rest, size, null);
    }
    size = rest;
  }

  private void grow() {
    int capacity = Math.max(INITIAL_CAPACITY, 2 * times.length);
    times = Arrays.copyOf(times, capacity);
    sequences = Arrays.copyOf(sequences, capacity);
    values = Arrays.copyOf(values, capacity * width);
    if (traceparents != null) {
      traceparents = Arrays.copyOf(traceparents, capacity);
      tracestates = Arrays.copyOf(tracestates, capacity);
    }
  }

  /** Entry {@code i}'s {@code traceparent}, or null. */
  String traceparentOf(int i) {
    return traceparents == null ? null : traceparents[i];
  }

  /** Entry {@code i}'s {@code tracestate}, or null. */
  String tracestateOf(int i) {
    return tracestates == null ? null : tracestates[i];
  }

  private void allocate(int capacity) {
    times = new long[capacity];
    sequences = new long[capacity];
    values = new double[capacity * width];
    traceparents = null;
    tracestates = null;
  }
}
