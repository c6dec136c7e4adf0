#!/usr/bin/env python3
"""MRR movements in pandas on the data `examples/bench_mrr.rs` builds (same integer formula).

Run by hand beside the Rust example (never by CI):
    python benches/peers/mrr_movements_pandas.py 1000000
    cargo run --release --example bench_mrr -- 1000000
Both print the median time and the same checksum (sum of the five movements over all months).
"""
import sys
import time

import numpy as np
import pandas as pd

MONTHS = 36
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix(x):
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def build(customers):
    c = np.arange(customers, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = splitmix(c)
    start = h % np.uint64(24)
    length = (h >> np.uint64(8)) % np.uint64(40) + np.uint64(1)
    pause = (h >> np.uint64(40)) % np.uint64(7) == 0
    base = 50.0 * (1 + (h >> np.uint64(16)) % np.uint64(20)).astype(np.float64)
    growth = ((h >> np.uint64(24)) % np.uint64(3)).astype(np.float64)
    halve = (h >> np.uint64(32)) % np.uint64(5) == 0
    rows_c, rows_m, rows_v = [], [], []
    for m in range(MONTHS):
        mm = np.uint64(m)
        on = (mm >= start) & (mm < start + length) & ~(pause & (mm == start + np.uint64(3)))
        steps = ((mm - start[on]) // np.uint64(6)).astype(np.float64)
        level = base[on] * (1.0 + 0.25 * steps * growth[on])
        level = np.where(halve[on] & (mm - start[on] >= np.uint64(12)), level / 2.0, level)
        rows_c.append(c[on].astype(np.int64))
        rows_m.append(np.full(on.sum(), m))
        rows_v.append(level)
    return pd.DataFrame({"customer": np.concatenate(rows_c), "month": np.concatenate(rows_m),
                         "mrr": np.concatenate(rows_v)})


def movements(df):
    wide = df.pivot(index="customer", columns="month", values="mrr").reindex(columns=range(MONTHS)).fillna(0.0)
    v = wide.to_numpy()
    ever = np.maximum.accumulate(v > 0, axis=1)
    prev, cur = v[:, :-1], v[:, 1:]
    paid_before = ever[:, :-1]
    starts = (prev == 0) & (cur > 0)
    new = np.where(starts & ~paid_before, cur, 0).sum(0)
    react = np.where(starts & paid_before, cur, 0).sum(0)
    churn = np.where((prev > 0) & (cur == 0), prev, 0).sum(0)
    both = (prev > 0) & (cur > 0)
    expansion = np.where(both & (cur > prev), cur - prev, 0).sum(0)
    contraction = np.where(both & (cur < prev), prev - cur, 0).sum(0)
    return pd.DataFrame({"new": new, "expansion": expansion, "contraction": contraction,
                         "churn": churn, "reactivation": react})


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    df = build(customers)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        out = movements(df)
        times.append(time.perf_counter() - t)
    times.sort()
    print(f"pandas {pd.__version__} MRR movements: {len(df)} rows, {customers} customers, "
          f"median {times[2]:.3f} s (min {times[0]:.3f}), checksum {out.to_numpy().sum():.2f}")


if __name__ == "__main__":
    main()
