"""polars RFM on the peer benchmark's tx_10m with the customer ids as text ("c<id>"), cast untimed;
the query of ../shared/bench/bench_rfm.py; median of 3. Run: POLARS_MAX_THREADS=1 python rfm_utf8_polars.py
(beside `bench_peers --workload rfm --size 10m` built with --features parallel,arrow, whose
`rfm-utf8` records are the crate's side)."""
import json, os, sys, time
import polars as pl
data = os.environ.get("ANCHORS_DATA", "/tmp/anchors-data")
ref = json.load(open(f"{data}/manifest.json"))["ref_day"]
df = pl.read_parquet(f"{data}/tx_10m.parquet").with_columns(("c" + pl.col("customer_id").cast(pl.String)).alias("customer_id"))
def score(col, labels):
    return pl.col(col).rank("ordinal").qcut(5, labels=labels).cast(pl.String).cast(pl.Int8)
def compute():
    return (df.lazy().group_by("customer_id").agg(
        pl.col("day").max().alias("last_day"),
        (pl.col("amount") > 0).sum().alias("frequency"),
        pl.col("amount").sum().round(2).alias("monetary"),
    ).sort("customer_id").with_columns((ref - pl.col("last_day")).alias("recency")).with_columns(
        score("recency", ["5","4","3","2","1"]).alias("R"),
        score("frequency", ["1","2","3","4","5"]).alias("F"),
        score("monetary", ["1","2","3","4","5"]).alias("M"),
    ).collect())
compute()
times = []
for _ in range(3):
    t = time.perf_counter(); g = compute(); times.append(time.perf_counter() - t)
print(json.dumps({"tool": "polars utf8 ids", "threads": pl.thread_pool_size(), "median_s": sorted(times)[1], "customers": g.height}))
