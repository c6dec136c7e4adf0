#!/usr/bin/env python3
"""BG/NBD + Gamma-Gamma (lifetimes) and Cox (lifelines) on the data `examples/bench_models.rs`
builds (the histories through the CSV it writes, the Cox table from the same integer formula). Run by hand, never by CI, one thread:

    cargo run --release --example bench_models -- clv 1000000 /tmp/histories.csv
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benches/peers/models_lifetimes_lifelines.py clv 1000000 1 /tmp/histories.csv
    cargo run --release --example bench_models -- cox 100000
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benches/peers/models_lifetimes_lifelines.py cox 100000

`clv` needs lifetimes (its own venv: numpy<2, pandas<2, scipy<1.13); `cox` needs lifelines.
Both print the median time and the fitted parameters.
"""
import json
import sys
import time

import numpy as np

M = np.uint64


def splitmix(x):
    with np.errstate(over="ignore"):
        x = x + M(0x9E3779B97F4A7C15)
        x = (x ^ (x >> M(30))) * M(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> M(27))) * M(0x94D049BB133111EB)
        return x ^ (x >> M(31))


def histories(path):
    import pandas as pd
    df = pd.read_csv(path)
    return (df["frequency"].values, df["recency"].values, df["T"].values, df["monetary"].values)


def cox_table(n):
    import pandas as pd
    r = np.arange(n, dtype=np.uint64)
    cols = {f"x{j}": (splitmix(r * M(16) + M(j)) % M(1000)).astype(float) / 100.0 for j in range(10)}
    spread = M(20) + (M(1000) - splitmix(r * M(16)) % M(1000)) // M(40) + splitmix(r * M(16) + M(1)) % M(1000) // M(50)
    duration = (M(1) + splitmix(r * M(16) + M(11)) % spread).astype(float)
    event = (splitmix(r * M(16) + M(12)) % M(3)) != M(0)
    df = pd.DataFrame(cols)
    df["duration"] = duration
    df["event"] = event.astype(int)
    return df


def main():
    workload = sys.argv[1] if len(sys.argv) > 1 else "clv"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    times = []
    if workload == "clv":
        from lifetimes import BetaGeoFitter, GammaGammaFitter
        f, r, t, m = histories(sys.argv[4] if len(sys.argv) > 4 else "/tmp/histories.csv")
        for _ in range(repeats):
            start = time.perf_counter()
            bg = BetaGeoFitter().fit(f, r, t)
            ret = f > 0
            gg = GammaGammaFitter().fit(f[ret], m[ret])
            times.append(time.perf_counter() - start)
        out = {"workload": "bgnbd+gamma_gamma", "n": n, "median_s": float(np.median(times)),
               "params": bg.params_[["r", "alpha", "a", "b"]].tolist(),
               "gg": gg.params_[["p", "q", "v"]].tolist(), "objective": float(bg._negative_log_likelihood_)}
    else:
        from lifelines import CoxPHFitter
        df = cox_table(n)
        for _ in range(repeats):
            start = time.perf_counter()
            cph = CoxPHFitter().fit(df, "duration", "event")
            times.append(time.perf_counter() - start)
        out = {"workload": "cox_efron", "n": n, "median_s": float(np.median(times)),
               "coef": [round(v, 9) for v in cph.params_.tolist()], "log_likelihood": float(cph.log_likelihood_)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
