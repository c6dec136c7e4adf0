#!/usr/bin/env python3
"""BG/NBD + Gamma-Gamma (lifetimes), Cox (lifelines) and logistic regression (scikit-learn) on the data `examples/bench_models.rs`
builds (the histories through the CSV it writes, the Cox table from the same integer formula). Run by hand, never by CI, one thread:

    cargo run --release --example bench_models -- clv 1000000 /tmp/histories.csv
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benches/peers/models_lifetimes_lifelines.py clv 1000000 1 /tmp/histories.csv
    cargo run --release --example bench_models -- cox 100000
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benches/peers/models_lifetimes_lifelines.py cox 100000
    cargo run --release --example bench_models -- logistic 1000000
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benches/peers/models_lifetimes_lifelines.py logistic 1000000 3

`clv` needs lifetimes (its own venv: numpy<2, pandas<2, scipy<1.13); `cox` needs lifelines;
`logistic` needs scikit-learn.
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


def logistic_table(n):
    r = np.arange(n, dtype=np.uint64)
    ints = np.stack([(splitmix(r * M(32) + M(j)) % M(2001)).astype(np.int64) - 1000 for j in range(20)], axis=1)
    x = ints.astype(float) / 500.0
    score = 2 * ints[:, 0] - ints[:, 1] + ints[:, 3] - 2 * ints[:, 7]
    threshold = (splitmix(r * M(32) + M(31)) % M(8001)).astype(np.int64) - 4000
    return x, threshold < score


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
    elif workload == "logistic":
        from sklearn.linear_model import LogisticRegression
        x, y = logistic_table(n)
        for _ in range(repeats):
            start = time.perf_counter()
            model = LogisticRegression().fit(x, y)
            times.append(time.perf_counter() - start)
        out = {"workload": "logistic_lbfgs", "n": n, "median_s": float(np.median(times)),
               "iterations": int(model.n_iter_[0]), "coef": [round(v, 9) for v in model.coef_[0].tolist()],
               "intercept": float(model.intercept_[0])}
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
