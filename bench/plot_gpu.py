#!/usr/bin/env python3
"""Plot the GPU engine's µs per step against synapses (cascade-bench --json
on a GPU) with the reference's ms per step on an H200 from
../shared/reference/peer_timings.md (the table in bench/device_summary.py).

    python3 bench/plot_gpu.py bench/results/gpu-h200-2026-11-26/bench_gpu.json --out docs/img/performance_gpu.png

Needs matplotlib.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from device_summary import REFERENCE_MS  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    d = json.load(open(a.json))
    rows = [r for r in d["results"] if r.get("unit", "step") == "step"]
    card = d["machine"]["card"].split(" (")[0]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ladder = sorted((r for r in rows if r["case"].startswith("ladder-")), key=lambda r: r["synapses"])
    s = [r["synapses"] for r in ladder]
    ax.loglog(s, [r["us_per_step_median"] for r in ladder], "o-", color="C0", label=f"Cascade GPU engine ({card}), ladder")
    ax.loglog(s, [REFERENCE_MS[r["case"]] * 1000 for r in ladder], "s-", color="C3",
              label=f"spikeometric 1.0.3 ({card}, peer_timings.md), ladder")
    for r in rows:
        if r["case"].startswith("ladder-"):
            continue
        ax.loglog([r["synapses"]], [r["us_per_step_median"]], "o", color="C0", alpha=0.5)
        ax.annotate(r["case"], (r["synapses"], r["us_per_step_median"]), fontsize=6, alpha=0.7)
        if r["case"] in REFERENCE_MS:
            ax.loglog([r["synapses"]], [REFERENCE_MS[r["case"]] * 1000], "s", color="C3", alpha=0.5)
    ax.set_xlabel("synapses (whole batch)")
    ax.set_ylabel("µs per simulated step")
    ax.set_title(f"GPU: µs per step, {card}, 2026-11-26")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
