#!/usr/bin/env python3
"""The Python package's cost over the C++ library (a benchmark, never a test).

    PYTHONPATH=build/python python bench/python_overhead.py [--bench build/bench/cascade-bench] [--json out.json]

1. Per-call overhead: a 20-neuron network, N calls of one step from Python
   against one call of N steps (the same steps), per call.
2. ladder-1000 (BernoulliGLM, Normal(std 5, glorot), 1 000 neurons, 2 000
   steps a repeat, unrecorded, as cascade-bench's case): the median time per
   step through Python against cascade-bench's own measurement, run side by
   side in this process's session. Target: within 5 %.
Prints a table and, with --json, the figures as JSON.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

import cascade


def per_call_overhead(calls=5000):
    nets = cascade.generate("normal", 20, seed=1, mean=0, std=5, glorot=True)
    sim = cascade.Simulator("bernoulli_glm", nets, seed=0, threads=1)
    sim.run(100, equilibration_steps=100, fresh_state=True, record=False)
    t0 = time.perf_counter()
    for _ in range(calls):
        sim.run(1, record=False)
    many = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.run(calls, record=False)
    one = time.perf_counter() - t0
    return {"calls": calls, "us_per_call": many / calls * 1e6, "us_per_step_in_one_call": one / calls * 1e6,
            "overhead_us_per_call": (many - one) / calls * 1e6}


def ladder_python(steps=2000, repeat=9, threads=0):
    nets = cascade.generate("normal", 1000, seed=1, mean=0, std=5, glorot=True)
    sim = cascade.Simulator("bernoulli_glm", nets, seed=0, threads=threads)
    sim.run(steps // 5, equilibration_steps=100, fresh_state=True, record=False)
    wall, inner = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = sim.run(steps, record=False)
        wall.append((time.perf_counter() - t0) / steps * 1e6)
        inner.append(res.summary["wall_seconds"] / steps * 1e6)
    return statistics.median(wall), statistics.median(inner)


def ladder_cpp(bench, repeat=9, threads=0):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([bench, "--case", "ladder-1000", "--repeat", str(repeat), "--threads", str(threads),
                        "--json", f.name], check=True, capture_output=True)
        rows = json.load(open(f.name))
    rows = rows["results"] if isinstance(rows, dict) else rows
    return rows[0]["us_per_step_median"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default="build/bench/cascade-bench")
    ap.add_argument("--json")
    ap.add_argument("--rounds", type=int, default=3, help="alternating Python / C++ rounds")
    a = ap.parse_args()
    call = per_call_overhead()
    py, cpp, inner = [], [], []
    for _ in range(a.rounds):  # alternate, so that drifts of the machine hit both
        w, i = ladder_python()
        py.append(w)
        inner.append(i)
        cpp.append(ladder_cpp(a.bench))
    out = {"per_call": call, "ladder_1000": {
        "python_us_per_step": statistics.median(py), "python_engine_us_per_step": statistics.median(inner),
        "cpp_us_per_step": statistics.median(cpp), "ratio_python_over_cpp": statistics.median(py) / statistics.median(cpp)}}
    print(f"per call (20 neurons, 1 step): {call['us_per_call']:.2f} us; in one call: "
          f"{call['us_per_step_in_one_call']:.2f} us/step; overhead {call['overhead_us_per_call']:.2f} us/call")
    l = out["ladder_1000"]
    print(f"ladder-1000: Python {l['python_us_per_step']:.2f} us/step, C++ (cascade-bench) "
          f"{l['cpp_us_per_step']:.2f} us/step, ratio {l['ratio_python_over_cpp']:.3f}")
    if a.json:
        json.dump(out, open(a.json, "w"), indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
