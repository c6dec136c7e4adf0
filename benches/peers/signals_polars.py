"""polars side of the signals workload of `examples/bench_models.rs`: the same activity log
from the same integer formula (customer, day 0..84, kind 0-4 login / 5-8 feature / 9
workflow, feature 0..8), then the group-bys behind the usage signals: events and logins per
customer and week, baseline (weeks 0-7) and window (weeks 8-11) means, the least-squares slope
of weekly events, and distinct features in the window and the four weeks before it. Generation
and the DataFrame build are untimed; the median of 3 queries is printed with the same
checksums the crate's side prints. Run by hand, never by CI:

    cargo run --release --example bench_models -- signals 1000000 100000000
    POLARS_MAX_THREADS=1 python benches/peers/signals_polars.py 1000000 100000000
"""
import json
import sys
import time

import numpy as np
import polars as pl

M = np.uint64


def splitmix(x):
    with np.errstate(over="ignore"):
        x = x + M(0x9E3779B97F4A7C15)
        x = (x ^ (x >> M(30))) * M(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> M(27))) * M(0x94D049BB133111EB)
        return x ^ (x >> M(31))


def log(customers, events, chunk=10_000_000):
    parts = []
    for lo in range(0, events, chunk):
        e = np.arange(lo, min(events, lo + chunk), dtype=np.uint64) * M(4)
        parts.append(pl.DataFrame({
            "customer": (splitmix(e) % M(customers)).astype(np.uint32),
            "day": (splitmix(e + M(1)) % M(84)).astype(np.int16),
            "kind": (splitmix(e + M(2)) % M(10)).astype(np.uint8),
            "feature": (splitmix(e + M(3)) % M(8)).astype(np.uint8),
        }))
    return pl.concat(parts)


def compute(df):
    weeks = 12
    mean_x = (weeks - 1) / 2
    sxx = sum((k - mean_x) ** 2 for k in range(weeks))
    lf = df.lazy().with_columns((pl.col("day") // 7).alias("week"))
    weekly = lf.group_by("customer", "week").agg(
        pl.len().alias("events"),
        (pl.col("kind") < 5).sum().alias("logins"),
    )
    usage = weekly.group_by("customer").agg(
        (pl.col("events").filter(pl.col("week") < 8).sum() / 8).alias("baseline"),
        (pl.col("events").filter(pl.col("week") >= 8).sum() / 4).alias("current"),
        (((pl.col("week") - mean_x) * pl.col("events")).sum() / sxx).alias("slope"),
        pl.col("logins").sum().alias("logins"),
    )
    breadth = (
        lf.filter((pl.col("kind") >= 5) & (pl.col("kind") < 9) & (pl.col("week") >= 4))
        .group_by("customer", pl.col("week") >= 8)
        .agg(pl.col("feature").n_unique().alias("features"))
        .group_by("customer")
        .agg(pl.col("features").sum().alias("breadth"))
    )
    out = usage.join(breadth, on="customer", how="left").with_columns(
        ((pl.col("baseline") >= 0.5) & (pl.col("current") / pl.col("baseline") - 1 <= -0.3)
         & (pl.col("slope") < 0)).alias("declining")
    )
    return out.collect()


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 100 * customers
    df = log(customers, events)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        out = compute(df)
        times.append(time.perf_counter() - t)
    print(json.dumps({
        "workload": "signals", "tool": f"polars {pl.__version__}", "threads": pl.thread_pool_size(),
        "customers": customers, "events": events, "median_s": round(sorted(times)[1], 4),
        "declining": int(out["declining"].sum()), "slope_sum": float(out["slope"].sum()),
        "breadth_sum": int(out["breadth"].sum()),
    }))


if __name__ == "__main__":
    main()
