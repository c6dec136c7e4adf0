"""polars side of the partitioned-Parquet example of the DataFusion crate
(`saas-segmentation-datafusion/examples/parquet_scale.rs`): the same files, the same
per-customer count / sum / max as a lazy group-by (`scan_parquet(...).group_by().agg()`),
timed from the scan to the collected frame, one run per thread count. Run by hand, never by
CI, after the example has written the files:

    cargo run --release -p saas-segmentation-datafusion --example parquet_scale
    python benches/peers/parquet_polars.py target/parquet-scale/100000000-1000000-7
"""
import os
import subprocess
import sys
import time

CODE = """
import sys, time, polars as pl
t = time.perf_counter()
df = (pl.scan_parquet(sys.argv[1] + "/*.parquet")
        .group_by("customer_id")
        .agg(pl.len(), pl.col("amount").sum(), pl.col("day").max())
        .collect())
print(f"{time.perf_counter() - t:.2f} {df.height}")
"""

directory = sys.argv[1]
for threads in (1, os.cpu_count()):
    env = dict(os.environ, POLARS_MAX_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", CODE, directory], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    print(f"polars {threads} thread(s): {out[0]} s, {out[1]} customers")
