#!/usr/bin/env python3
"""Build a selection set in SMD's layout from SMD's *train* halves only (no SMD test data or labels).

For each machine-1-N:
  new train = first half of smd/train/machine-1-N.txt
  new test  = second half, with injected synthetic anomaly segments
  test_label = 1 on the injected rows; interpretation_label = START-END:d1,d2,... (0-based rows,
  end exclusive, 1-based metric indices -- the convention io.vigil.datasets.Dataset reads).

Segments: 10-25 per machine, most 3-60 rows long (a few 60-300), 4-6 % of test rows anomalous,
each on 1-6 metrics, types spike / level shift / variance burst / drift / stuck / drop to zero,
magnitudes relative to each metric's own spread in the new train part (log-uniform 1.5x .. 10x).

Usage: make_synth.py SEED OUTDIR [SRC=../shared/data/smd]  (ADR 0010; research tool, not part of the build)
"""
import json
import os
import shutil
import sys

import numpy as np

TYPES = ["spike", "level", "variance", "drift", "stuck", "zero"]
TYPE_P = [0.22, 0.22, 0.16, 0.14, 0.12, 0.14]


def spread_of(train):
    """Per-metric spread: std of the train part, floored (many SMD metrics are nearly constant)."""
    sd = train.std(axis=0)
    q = np.percentile(train, 95, axis=0) - np.percentile(train, 5, axis=0)
    s = np.maximum(sd, q / 4)
    return np.maximum(s, 0.01)


def draw_lengths(rng, n_test):
    """Segment lengths until the anomalous share is in 4-6 % and the count in 10-25."""
    for _ in range(10000):
        k = int(rng.integers(10, 26))
        lengths = []
        for _ in range(k):
            if rng.random() < 0.12:
                lengths.append(int(rng.integers(60, 301)))  # a few long ones
            else:
                lengths.append(int(np.exp(rng.uniform(np.log(3), np.log(61)))))  # mostly short
        share = sum(lengths) / n_test
        if 0.04 <= share <= 0.06:
            return lengths
    raise RuntimeError("could not draw lengths")


def place(rng, lengths, n_test, start=300, gap=30):
    """Non-overlapping starts, at least `gap` rows apart, after `start` (the stream's warm-up)."""
    for _ in range(10000):
        order = rng.permutation(len(lengths))
        starts = np.sort(rng.integers(start, n_test - 10, size=len(lengths)))
        ok = True
        segs = []
        prev_end = -10 ** 9
        for s, i in zip(starts, order):
            L = lengths[i]
            if s < prev_end + gap or s + L > n_test:
                ok = False
                break
            segs.append((int(s), int(s + L)))
            prev_end = s + L
        if ok:
            return segs
    raise RuntimeError("could not place segments")


def inject(rng, x, train, spread, seg, varying):
    s, e = seg
    L = e - s
    kind = TYPES[rng.choice(len(TYPES), p=TYPE_P)]
    if kind == "drift" and L < 15:
        kind = "level"
    nm = int(rng.integers(1, 7))
    # mostly metrics that vary in train; sometimes any metric (flat ones too)
    pool = varying if (len(varying) >= nm and rng.random() < 0.85) else np.arange(x.shape[1])
    if kind == "zero":
        # drop to zero only makes sense where the metric is normally above zero
        nz = np.array([m for m in pool if np.median(train[:, m]) > 0.02])
        pool = nz if len(nz) >= 1 else pool
    nm = min(nm, len(pool))
    metrics = np.sort(rng.choice(pool, size=nm, replace=False))
    subtle = rng.random() < 0.4
    for m in metrics:
        sd = spread[m]
        mag = np.exp(rng.uniform(np.log(1.5), np.log(3.5))) if subtle else np.exp(rng.uniform(np.log(3.5), np.log(10)))
        sign = 1.0 if rng.random() < 0.75 else -1.0
        seg_x = x[s:e, m]
        if kind == "spike":
            # a few rows far out, the rest moderately raised
            shape = rng.uniform(0.3, 1.0, size=L)
            peaks = rng.choice(L, size=max(1, L // 5), replace=False)
            shape[peaks] = rng.uniform(1.0, 1.6, size=len(peaks))
            new = seg_x + sign * mag * sd * shape
        elif kind == "level":
            new = seg_x + sign * mag * sd
        elif kind == "variance":
            new = seg_x + rng.normal(0, mag * sd, size=L)
        elif kind == "drift":
            new = seg_x + sign * mag * sd * np.linspace(1.0 / L, 1.0, L)
        elif kind == "stuck":
            # frozen at a value off the usual one (a stuck sensor / hung collector)
            new = np.full(L, x[s - 1, m] + sign * 0.5 * mag * sd)
        else:  # zero
            new = np.zeros(L)
        x[s:e, m] = np.maximum(new, 0.0)  # SMD metrics are non-negative
    return kind, subtle, [int(m) + 1 for m in metrics]


def fmt(v):
    return np.format_float_positional(v, precision=6, trim="-") if v != int(v) else f"{v:.1f}"


def write_matrix(path, a):
    with open(path, "w") as f:
        for row in a:
            f.write(",".join(fmt(float(v)) for v in row) + "\n")


def main():
    seed = int(sys.argv[1])
    out = sys.argv[2]
    src = sys.argv[3] if len(sys.argv) > 3 else "../shared/data/smd"
    rng = np.random.default_rng(seed)
    for d in ["train", "test", "test_label", "interpretation_label"]:
        os.makedirs(os.path.join(out, d), exist_ok=True)
    shutil.copy(os.path.join(src, "metric_names.txt"), os.path.join(out, "metric_names.txt"))
    summary = {}
    for name in sorted(os.listdir(os.path.join(src, "train"))):
        a = np.loadtxt(os.path.join(src, "train", name), delimiter=",")
        h = len(a) // 2
        train, test = a[:h].copy(), a[h:].copy()
        spread = spread_of(train)
        varying = np.where(train.std(axis=0) > 1e-3)[0]
        lengths = draw_lengths(rng, len(test))
        segs = place(rng, lengths, len(test))
        labels = np.zeros(len(test), dtype=int)
        lines = []
        info = []
        for seg in segs:
            kind, subtle, dims = inject(rng, test, train, spread, seg, varying)
            labels[seg[0]:seg[1]] = 1
            lines.append(f"{seg[0]}-{seg[1]}:" + ",".join(str(d) for d in dims))
            info.append({"seg": seg, "kind": kind, "subtle": subtle, "dims": dims})
        write_matrix(os.path.join(out, "train", name), train)
        write_matrix(os.path.join(out, "test", name), test)
        with open(os.path.join(out, "test_label", name), "w") as f:
            f.write("\n".join(str(v) for v in labels) + "\n")
        with open(os.path.join(out, "interpretation_label", name), "w") as f:
            f.write("\n".join(lines) + "\n")
        summary[name] = {"train_rows": h, "test_rows": len(test), "segments": len(segs),
                         "anomalous_share": round(labels.mean(), 4), "detail": info}
        print(f"{name}: {len(segs)} segments, {labels.sum()} anomalous rows "
              f"({100 * labels.mean():.1f} %), lengths {sorted(e - s for s, e in segs)}")
    with open(out.rstrip("/") + ".segments.json", "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
