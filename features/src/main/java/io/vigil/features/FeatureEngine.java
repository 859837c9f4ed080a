package io.vigil.features;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Computes a feature set incrementally for one entity at a time: each call to {@link #update}
 * takes one sample, updates the entity's {@link EntityState} in O(1) amortised work per metric and
 * feature (running sums and monotonic deques; no re-scan of the window), and returns the feature
 * values in {@link FeatureSet#featureNames()} order.
 *
 * <p>Deterministic: the same samples in the same order give bit-identical features, wherever they
 * are computed (the online job and the offline path share this code). Running sums are rebuilt
 * from the ring once per ring length so rounding error cannot accumulate. Thread-safe (stateless
 * itself); a state must not be updated concurrently.
 */
public final class FeatureEngine {

  private static final double Z_CLIP = 1e3;

  private final FeatureSet set;
  private final int m;
  private final int k;
  private final int[] cap;
  private final int[] ring;
  private final long[] dur;
  private final int[] timeOff;
  private final int[] valueOff;
  private final int totalTimes;
  private final int totalValues;
  private final Aggregation[] aggs;
  private final int perMetric;
  private final int width;
  private final double alpha;

  public FeatureEngine(FeatureSet set) {
    this.set = requireNonNull(set, "set");
    this.m = set.metrics().size();
    this.k = set.windows().size();
    this.cap = new int[k];
    this.ring = new int[k];
    this.dur = new long[k];
    this.timeOff = new int[k];
    this.valueOff = new int[k];
    int t = 0;
    int v = 0;
    for (int w = 0; w < k; w++) {
      WindowSpec spec = set.windows().get(w);
      cap[w] = spec.capacity();
      ring[w] = 2 * cap[w];
      dur[w] = spec.durationMillis();
      timeOff[w] = t;
      valueOff[w] = v;
      t += ring[w];
      v += m * ring[w];
    }
    this.totalTimes = t;
    this.totalValues = v;
    this.aggs = set.aggregations().toArray(new Aggregation[0]);
    this.perMetric = 1 + k * aggs.length + (set.ewmaAlpha() != null ? 1 : 0);
    this.width = m * perMetric + (set.summary() ? 3 : 0);
    this.alpha = set.ewmaAlpha() == null ? 0 : set.ewmaAlpha();
  }

  public FeatureSet featureSet() {
    return set;
  }

  /** Number of features per vector. */
  public int width() {
    return width;
  }

  /** A fresh state for a new entity. */
  public EntityState newState() {
    EntityState s = new EntityState();
    s.shift = new double[m];
    s.times = new long[totalTimes];
    s.values = new double[totalValues];
    s.start = new int[k];
    s.prevSize = new int[k];
    s.curSize = new int[k];
    s.sinceRecompute = new int[k];
    s.startAbs = new long[k];
    s.sx = new double[k];
    s.sxx = new double[k];
    s.sy = new double[k * m];
    s.syy = new double[k * m];
    s.sxy = new double[k * m];
    s.prevSy = new double[k * m];
    s.minDeque = new long[totalValues];
    s.maxDeque = new long[totalValues];
    s.minHead = new int[k * m];
    s.minLen = new int[k * m];
    s.maxHead = new int[k * m];
    s.maxLen = new int[k * m];
    s.ewmaMean = new double[m];
    s.ewmaVar = new double[m];
    return s;
  }

  /** True when {@code s} was made for this feature set's shape. */
  public boolean fits(EntityState s) {
    return s != null && s.shift != null && s.shift.length == m && s.times.length == totalTimes
        && s.values.length == totalValues && s.start.length == k;
  }

  /**
   * Adds one sample (values in the feature set's metric order) and returns the features.
   *
   * @throws IllegalArgumentException if {@code time} is not after the entity's last sample, or a
   *     value is not finite, or the number of values is wrong
   */
  public double[] update(EntityState s, long time, double[] x) {
    if (x.length != m) {
      throw new IllegalArgumentException("expected " + m + " values, got " + x.length);
    }
    for (int i = 0; i < m; i++) {
      if (!Double.isFinite(x[i])) {
        throw new IllegalArgumentException(set.metrics().get(i) + " is not finite: " + x[i]);
      }
    }
    if (s.count > 0 && time <= s.lastTime) {
      throw new IllegalArgumentException("sample at " + time + " is not after the last one at " + s.lastTime);
    }
    if (s.count == 0) {
      s.originTime = time;
      System.arraycopy(x, 0, s.shift, 0, m);
    }
    double[] out = new double[width];
    double xi = (time - s.originTime) / 1000.0;
    for (int w = 0; w < k; w++) {
      advance(s, w, time);
      append(s, w, time, xi, x);
      if (++s.sinceRecompute[w] >= ring[w]) {
        recompute(s, w);
      }
    }
    for (int i = 0; i < m; i++) {
      int base = i * perMetric;
      out[base] = x[i];
      int j = base + 1;
      for (int w = 0; w < k; w++) {
        int km = w * m + i;
        int n = s.curSize[w];
        double mean = s.sy[km] / n;
        for (Aggregation a : aggs) {
          out[j++] = aggregate(s, w, i, km, n, mean, a);
        }
      }
    }
    if (set.ewmaAlpha() != null) {
      double maxAbs = 0;
      double sumAbs = 0;
      int over3 = 0;
      for (int i = 0; i < m; i++) {
        double z;
        if (s.count == 0) {
          s.ewmaMean[i] = x[i];
          s.ewmaVar[i] = 0;
          z = 0;
        } else {
          double diff = x[i] - s.ewmaMean[i];
          z = diff / Math.max(Math.sqrt(s.ewmaVar[i]), set.zFloor());
          z = Math.max(-Z_CLIP, Math.min(Z_CLIP, z));
          s.ewmaMean[i] += alpha * diff;
          s.ewmaVar[i] = (1 - alpha) * (s.ewmaVar[i] + alpha * diff * diff);
        }
        out[i * perMetric + perMetric - 1] = z;
        double a = Math.abs(z);
        maxAbs = Math.max(maxAbs, a);
        sumAbs += a;
        if (a > 3) {
          over3++;
        }
      }
      if (set.summary()) {
        out[m * perMetric] = maxAbs;
        out[m * perMetric + 1] = sumAbs / m;
        out[m * perMetric + 2] = over3;
      }
    }
    s.count++;
    s.lastTime = time;
    return out;
  }

  /** Moves entries that left the current segment into the previous one, evicts expired ones. */
  private void advance(EntityState s, int w, long time) {
    int c = ring[w];
    long d = dur[w];
    while (s.curSize[w] > 0) {
      int oldestCur = wrap(s.start[w] + s.prevSize[w], c);
      long t = s.times[timeOff[w] + oldestCur];
      boolean full = s.curSize[w] >= cap[w];
      boolean expired = d != Long.MAX_VALUE && t <= time - d;
      if (!full && !expired) {
        break;
      }
      long abs = s.startAbs[w] + s.prevSize[w];
      double xv = (t - s.originTime) / 1000.0;
      s.sx[w] -= xv;
      s.sxx[w] -= xv * xv;
      for (int i = 0; i < m; i++) {
        int km = w * m + i;
        double v = s.values[valueOff[w] + i * c + oldestCur];
        s.sy[km] -= v;
        s.syy[km] -= v * v;
        s.sxy[km] -= xv * v;
        s.prevSy[km] += v;
        if (s.minLen[km] > 0 && s.minDeque[valueOff[w] + i * c + s.minHead[km]] == abs) {
          s.minHead[km] = wrap(s.minHead[km] + 1, c);
          s.minLen[km]--;
        }
        if (s.maxLen[km] > 0 && s.maxDeque[valueOff[w] + i * c + s.maxHead[km]] == abs) {
          s.maxHead[km] = wrap(s.maxHead[km] + 1, c);
          s.maxLen[km]--;
        }
      }
      s.curSize[w]--;
      s.prevSize[w]++;
    }
    while (s.prevSize[w] > 0) {
      long t = s.times[timeOff[w] + s.start[w]];
      boolean tooMany = s.prevSize[w] > cap[w];
      boolean expired = d != Long.MAX_VALUE && t <= time - 2 * d;
      if (!tooMany && !expired) {
        break;
      }
      for (int i = 0; i < m; i++) {
        s.prevSy[w * m + i] -= s.values[valueOff[w] + i * c + s.start[w]];
      }
      s.start[w] = wrap(s.start[w] + 1, c);
      s.startAbs[w]++;
      s.prevSize[w]--;
    }
  }

  private void append(EntityState s, int w, long time, double xv, double[] x) {
    int c = ring[w];
    int start = s.start[w];
    long startAbs = s.startAbs[w];
    int filled = s.prevSize[w] + s.curSize[w];
    int slot = wrap(start + filled, c);
    long abs = startAbs + filled;
    s.times[timeOff[w] + slot] = time;
    s.sx[w] += xv;
    s.sxx[w] += xv * xv;
    double[] values = s.values;
    long[] minDeque = s.minDeque;
    long[] maxDeque = s.maxDeque;
    for (int i = 0; i < m; i++) {
      int km = w * m + i;
      int base = valueOff[w] + i * c;
      double v = x[i] - s.shift[i];
      values[base + slot] = v;
      s.sy[km] += v;
      s.syy[km] += v * v;
      s.sxy[km] += xv * v;
      // min deque: values increasing from head; drop larger-or-equal tail entries. Deque entries
      // are absolute indexes in the current segment, so (entry - startAbs) is their ring offset.
      int head = s.minHead[km];
      int len = s.minLen[km];
      while (len > 0
          && values[base + slotOf(minDeque[base + wrap(head + len - 1, c)], startAbs, start, c)] >= v) {
        len--;
      }
      minDeque[base + wrap(head + len, c)] = abs;
      s.minLen[km] = len + 1;
      head = s.maxHead[km];
      len = s.maxLen[km];
      while (len > 0
          && values[base + slotOf(maxDeque[base + wrap(head + len - 1, c)], startAbs, start, c)] <= v) {
        len--;
      }
      maxDeque[base + wrap(head + len, c)] = abs;
      s.maxLen[km] = len + 1;
    }
    s.curSize[w]++;
  }

  /**
   * {@code i % c} for {@code 0 <= i < 2c}: every ring index here is the sum of two in-ring offsets,
   * so one comparison replaces a division.
   */
  private static int wrap(int i, int c) {
    return i >= c ? i - c : i;
  }

  /** Ring slot of the entry with absolute index {@code abs}, which the ring holds. */
  private static int slotOf(long abs, long startAbs, int start, int c) {
    return wrap((int) (abs - startAbs) + start, c);
  }

  /** Rebuilds the running sums of window {@code w} from its ring. O(ring) once per ring length. */
  private void recompute(EntityState s, int w) {
    int c = ring[w];
    double sx = 0;
    double sxx = 0;
    int prev = s.prevSize[w];
    int cur = s.curSize[w];
    for (int j = prev; j < prev + cur; j++) {
      double xv = (s.times[timeOff[w] + (s.start[w] + j) % c] - s.originTime) / 1000.0;
      sx += xv;
      sxx += xv * xv;
    }
    s.sx[w] = sx;
    s.sxx[w] = sxx;
    for (int i = 0; i < m; i++) {
      int km = w * m + i;
      int base = valueOff[w] + i * c;
      double py = 0;
      for (int j = 0; j < prev; j++) {
        py += s.values[base + (s.start[w] + j) % c];
      }
      double sy = 0;
      double syy = 0;
      double sxy = 0;
      for (int j = prev; j < prev + cur; j++) {
        int slot = (s.start[w] + j) % c;
        double v = s.values[base + slot];
        double xv = (s.times[timeOff[w] + slot] - s.originTime) / 1000.0;
        sy += v;
        syy += v * v;
        sxy += xv * v;
      }
      s.prevSy[km] = py;
      s.sy[km] = sy;
      s.syy[km] = syy;
      s.sxy[km] = sxy;
    }
    s.sinceRecompute[w] = 0;
  }

  /** One aggregation of metric {@code i} over window {@code w}; {@code mean} = sy / n, computed once. */
  private double aggregate(EntityState s, int w, int i, int km, int n, double mean, Aggregation a) {
    return switch (a) {
      case MEAN -> mean + s.shift[i];
      case STD -> Math.sqrt(Math.max(0, s.syy[km] / n - mean * mean));
      case MIN -> extreme(s, w, i, s.minDeque, s.minHead[km]) + s.shift[i];
      case MAX -> extreme(s, w, i, s.maxDeque, s.maxHead[km]) + s.shift[i];
      case SLOPE -> {
        double den = n * s.sxx[w] - s.sx[w] * s.sx[w];
        yield n < 2 || den <= 0 ? 0 : (n * s.sxy[km] - s.sx[w] * s.sy[km]) / den;
      }
      case DELTA -> s.prevSize[w] == 0 ? 0 : mean - s.prevSy[km] / s.prevSize[w];
    };
  }

  private double extreme(EntityState s, int w, int i, long[] deque, int head) {
    int c = ring[w];
    int base = valueOff[w] + i * c;
    long abs = deque[base + head];
    return s.values[base + slotOf(abs, s.startAbs[w], s.start[w], c)];
  }

  /**
   * Event time of the oldest sample in any window's current segment: the start of the window the
   * last vector describes. Equal to the last sample's time when there are no windows.
   */
  public long windowStart(EntityState s) {
    long startTime = s.lastTime;
    for (int w = 0; w < k; w++) {
      if (s.curSize[w] > 0) {
        int oldestCur = (s.start[w] + s.prevSize[w]) % ring[w];
        startTime = Math.min(startTime, s.times[timeOff[w] + oldestCur]);
      }
    }
    return startTime;
  }

  /** Values of a sample in this feature set's metric order, or the name of a missing metric. */
  public static double[] align(List<String> metrics, java.util.Map<String, Double> sample) {
    double[] x = new double[metrics.size()];
    for (int i = 0; i < x.length; i++) {
      Double v = sample.get(metrics.get(i));
      if (v == null) {
        throw new FeatureSetException("missing metric " + metrics.get(i));
      }
      x[i] = v;
    }
    return x;
  }
}
