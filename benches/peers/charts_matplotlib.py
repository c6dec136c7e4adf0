"""The peer of `cargo bench --bench report`: matplotlib draws the same marks to SVG.

A 24 x 24 triangular retention heatmap with a number in every observed cell, and three
Kaplan-Meier step curves of 25 steps with shaded confidence bands, each saved as SVG into
memory. Run: python benches/peers/charts_matplotlib.py
"""
import io
import time

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

rng = np.random.default_rng(7)
rates = np.full((24, 24), np.nan)
for c in range(24):
    observed = 24 - c
    rates[c, :observed] = np.sort(rng.uniform(0.75, 1.0, observed))[::-1]
    rates[c, 0] = 1.0


def heatmap():
    fig, ax = plt.subplots(figsize=(7.6, 7.4))
    ax.imshow(rates, cmap="Blues", vmin=0.7, vmax=1.0)
    for r in range(24):
        for c in range(24):
            if not np.isnan(rates[r, c]):
                ax.text(c, r, f"{rates[r, c] * 100:.0f}", ha="center", va="center", fontsize=6)
    ax.set_xticks(range(24))
    ax.set_yticks(range(24))
    ax.set_yticklabels([f"2024-{m:02d}" for m in range(1, 25)])
    ax.set_title("Logo retention by signup month")
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    return buf.getvalue()


def survival():
    fig, ax = plt.subplots(figsize=(7.6, 5.2))
    for i in range(3):
        t = np.arange(0, 25)
        s = np.cumprod(np.r_[1.0, 1 - rng.uniform(0.005, 0.04, 24)])
        ax.step(t, s, where="post", label=f"tier {i}")
        ax.fill_between(t, s * 0.97, np.minimum(1, s * 1.03), step="post", alpha=0.15)
    ax.set_ylim(0, 1.02)
    ax.legend()
    ax.set_title("Share still paying")
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    return buf.getvalue()


for name, draw in [("retention_heatmap_24x24_svg", heatmap), ("kaplan_meier_3_tiers_svg", survival)]:
    draw()  # warm up fonts and caches
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        draw()
    per = (time.perf_counter() - start) / runs
    print(f"{name}: {per * 1e3:.2f} ms (matplotlib {matplotlib.__version__})")
