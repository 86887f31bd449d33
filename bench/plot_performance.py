#!/usr/bin/env python3
"""Plot µs per step against synapses for Cascade and the reference from
compare_reference.py's comparison.json files.

    python3 bench/plot_performance.py bench/results/cpu-2026-11-26/comparison.json [more.json ...] \\
        --out docs/img/performance_cpu.png

Needs numpy and matplotlib (pip install numpy matplotlib).
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for path in a.files:
        with open(path) as f:
            d = json.load(f)
        rows = sorted((r for r in d["rows"] if r["case"].startswith("ladder-")), key=lambda r: r["synapses"])
        others = [r for r in d["rows"] if not r["case"].startswith("ladder-") and r.get("unit", "step") == "step"]
        dev = d["machine"]["device"]
        label = f"{dev}, {d['machine']['date']}"
        s = [r["synapses"] for r in rows]
        ax.loglog(s, [r["cascade_us_per_step"] for r in rows], "o-", color="C0", label=f"Cascade ({label}), ladder")
        ax.loglog(s, [r["reference_us_per_step"] for r in rows], "s-", color="C3",
                  label=f"spikeometric 1.0.3 ({label}), ladder")
        for r in others:
            ax.loglog([r["synapses"]], [r["cascade_us_per_step"]], "o", color="C0", alpha=0.5)
            ax.loglog([r["synapses"]], [r["reference_us_per_step"]], "s", color="C3", alpha=0.5)
            ax.annotate(r["case"], (r["synapses"], r["cascade_us_per_step"]), fontsize=6, alpha=0.7)
    ax.set_xlabel("synapses (whole batch)")
    ax.set_ylabel("µs per step")
    ax.set_title("Time per simulated step, this CPU (faint: other cases; tune epochs not shown)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print(f"plot_performance: wrote {a.out}")


if __name__ == "__main__":
    main()
