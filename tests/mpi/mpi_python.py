#!/usr/bin/env python3
"""The Python package distributed (docs/distributed.md), run as
`mpiexec -n K python mpi_python.py SCRATCH_DIR` (ctest: mpi.python_Kranks).
Every rank also runs each simulation in one process and compares: spikes,
g and phi(g) on rank 0 (where the distributed result is gathered) byte for
byte; tune's parameters to 1e-9 relative; files written through the run
plan equal, byte for byte."""
import os
import sys

import numpy as np

import cascade

scratch = sys.argv[1]
world = cascade.distributed()
assert world is not None, "run under mpiexec"
rank, size = world["rank"], world["size"]
root = rank == 0
failures = []


def check(ok, what):
    if root:
        print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


W = cascade.generate("sparse", 1500, count=2, seed=4, p=0.02, std=0.5)
for model in ("bernoulli_glm", "rectified_sam"):
    kw = dict(replicas=2, seed=7, stimuli=["regular:strength=2,period=50,tau=5"])
    one = cascade.Simulator(model, W, **kw).simulate(800, record_input=True, record_rate=True)
    dist = cascade.Simulator(model, W, distributed=True, **kw).simulate(800, record_input=True, record_rate=True)
    if root:
        check(np.array_equal(one.spikes, dist.spikes) and np.array_equal(one.input, dist.input)
              and np.array_equal(one.rate, dist.rate),
              f"{model}: {size} ranks give one process's spikes, g and phi(g) ({int(one.spikes.sum())} spikes)")

t_one = cascade.tune("bernoulli_glm", W, 20.0, ["theta", "alpha"], epochs=5, steps=60, seed=2)
t_dist = cascade.tune("bernoulli_glm", W, 20.0, ["theta", "alpha"], epochs=5, steps=60, seed=2, distributed=True)
worst = max(abs(t_dist["final"][k] - t_one["final"][k]) / abs(t_one["final"][k]) for k in range(len(t_one["final"])))
check(worst <= 1e-9, f"tune over {size} ranks: parameters within {worst:.2g} of one process's")

os.makedirs(scratch, exist_ok=True)  # every rank plans the run, and checks its output's directory
out_one, out_dist = os.path.join(scratch, f"one{size}.npy"), os.path.join(scratch, f"dist{size}.npy")
args = dict(model="poisson_glm", generate="sparse:n=2000,in_degree=30,seed=5,std=0.3,glorot=true",
            param=["r=0.002", "b=0.1"], steps=600, seed=3, quiet=True, force=True)
if root:
    cascade.simulate_files(output=out_one, **args)
cascade.simulate_files(output=out_dist, distributed=True, **args)
if root:
    check(open(out_one, "rb").read() == open(out_dist, "rb").read(),
          f"simulate_files over {size} ranks (networks generated in parts) writes one process's bytes")

# Every rank's verdict: rank 0 reports, every rank exits alike.
if root:
    print("mpi_python: " + ("all checks passed" if not failures else f"{len(failures)} check(s) failed"))
sys.exit(1 if failures else 0)
