#!/usr/bin/env python3
"""The short table bench/device-check.sh prints last: GPU µs/step per case,
the reference's ms/step on an H200 (../shared/reference/peer_timings.md),
the ratio and its target, and the floor the step cannot beat on this card."""
import json
import sys

# spikeometric 1.0.3 on one H200, ms per step (peer_timings.md, 2026-11-26).
REFERENCE_MS = {
    "ladder-20": 0.19, "ladder-100": 0.18, "ladder-1000": 0.17, "ladder-2236": 0.38, "ladder-5000": 1.62,
    "ladder-10000": 6.37, "lnp-1000": 0.87, "lnp-2236": 4.19, "sam-10000": 0.34, "batch-10x50": 0.18,
    "batch-10x2236": 3.31,
    # tune: ms per 100-step epoch (BernoulliGLM theta, alpha, beta), the same table.
    "tune-20": 37.7, "tune-2236": 66.9,
}
TARGET = {"ladder-20": 300, "ladder-100": 300, "ladder-1000": 300, "ladder-2236": 100, "ladder-5000": 100,
          "ladder-10000": 500, "batch-10x50": 300, "tune-20": 200, "tune-2236": 200}


def floor_us(r, floors):
    """Synchronisation floor of the strategy plus the atomic floor of the scatter."""
    steps_sync = {"block": 2 * floors.get("block_barrier_us", 0),
                  "graph": 2 * floors.get("graph_node_us", 0),
                  "step": 2 * floors.get("launch_us", 0),
                  "pull": 2 * floors.get("launch_us", 0)}.get(r.get("strategy", ""), 0)
    events_per_step = r["synaptic_events_per_s"] / r["steps_per_s"] if r["steps_per_s"] else 0
    atomics = floors.get("int64_atomics_per_s") or 0
    atomic = events_per_step / atomics * 1e6 if atomics else 0
    return max(steps_sync, atomic), ("atomics" if atomic > steps_sync else "sync")


def main(path):
    d = json.load(open(path))
    floors = d["machine"].get("floors", {})
    print(f"card: {d['machine']['card']}; git {d['machine']['git_hash']}")
    print("floors: " + ", ".join(f"{k} {v:.3g}" for k, v in floors.items() if v is not None))
    hdr = f"{'case':<17}{'strategy':<9}{'us/step':>9}{'ref us':>9}{'ratio':>8}{'target':>7}{'syn.ev/s':>10}{'Hz':>7}{'dev MB':>8}{'floor us':>9}{'of floor':>9}"
    print(hdr)
    for r in d["results"]:
        ref = REFERENCE_MS.get(r["case"])
        us = r["us_per_step_median"]
        ratio = ref * 1000 / us if ref and us else None
        f, kind = floor_us(r, floors)
        t = TARGET.get(r["case"], 100 if r["case"].startswith("ladder") else None)
        ok = "" if not (ratio and t) else (" ok" if ratio >= t else " MISS")
        print(f"{r['case']:<17}{r.get('strategy','')[:8]:<9}{us:>9.3g}{(ref*1000 if ref else float('nan')):>9.4g}"
              f"{(ratio if ratio else float('nan')):>8.0f}{(str(t)+ok) if t else '':>7}{r['synaptic_events_per_s']:>10.3g}"
              f"{r['mean_rate_hz']:>7.3g}{r['peak_device_bytes']/1e6:>8.1f}{f:>9.3g}{(f/us if us else 0):>8.0%} {kind}")


if __name__ == "__main__":
    main(sys.argv[1])
