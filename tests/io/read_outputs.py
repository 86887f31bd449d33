#!/usr/bin/env python3
"""Cascade's outputs read by independent readers: NumPy for .npy, h5py and
libsonata for SONATA .h5. The spike trains of both formats must agree.

    python read_outputs.py CASCADE_CLI SCRATCH_DIR
"""
import os
import shutil
import subprocess
import sys

import h5py
import libsonata
import numpy as np

cli, d = sys.argv[1], sys.argv[2]
shutil.rmtree(d, ignore_errors=True)
os.makedirs(d)
run = [cli, "simulate", "--generate", "normal:n=30,count=2,seed=4,mean=0,std=1,glorot=true", "--model", "poisson_glm",
       "--param", "dt=1", "--param", "b=0.2", "--param", "r=0.001", "--steps", "500", "--replicas", "2", "--seed", "8", "--quiet",
       "--record-dtype", "int32", "--output", f"{d}/s.npy", "--output", f"{d}/s.h5"]
subprocess.run(run, check=True)
x = np.load(f"{d}/s.npy")  # [replicas, neurons, steps]
assert x.shape == (2, 60, 500), x.shape
assert x.max() > 1, "PoissonGLM counts above 1 should occur (k spikes in one step = k entries)"

with h5py.File(f"{d}/s.h5", "r") as f:
    assert int(f.attrs["magic"]) == 0x0A7A
    assert list(f.attrs["version"]) == [0, 1]
    assert b"rng_stream" in f.attrs["provenance"].encode() if isinstance(f.attrs["provenance"], str) \
        else b"rng_stream" in f.attrs["provenance"]
    pops = sorted(f["spikes"].keys())
    assert pops == ["net0_r0", "net0_r1", "net1_r0", "net1_r1"], pops
    for p in pops:
        g = f["spikes"][p]
        units = g["timestamps"].attrs["units"]
        assert (units.decode() if isinstance(units, bytes) else units) == "ms"
        assert g["node_ids"].dtype == np.uint64 and g["timestamps"].dtype == np.float64
        k, r = int(p[3]), int(p[6])
        ts, ids = g["timestamps"][:], g["node_ids"][:]
        assert np.all(np.diff(ts) >= 0), "sorted by time"
        dense = np.zeros((30, 500), np.int64)
        np.add.at(dense, (ids.astype(np.int64), np.rint(ts).astype(np.int64)), 1)
        assert np.array_equal(dense, x[r, 30 * k:30 * k + 30, :]), p

reader = libsonata.SpikeReader(f"{d}/s.h5")
assert sorted(reader.get_population_names()) == ["net0_r0", "net0_r1", "net1_r0", "net1_r1"]
for p in reader.get_population_names():
    pop = reader[p]
    assert str(pop.sorting).endswith("by_time"), pop.sorting
    spikes = pop.get()  # [(node_id, timestamp), ...]
    k, r = int(p[3]), int(p[6])
    dense = np.zeros((30, 500), np.int64)
    for nid, t in spikes:
        dense[int(nid), int(round(t))] += 1
    assert np.array_equal(dense, x[r, 30 * k:30 * k + 30, :]), p

# Every string attribute is one type: variable-length UTF-8 (h5py gives str).
with h5py.File(f"{d}/s.h5", "r") as f:
    for name in ("provenance", "cascade_version", "rng_stream"):
        assert isinstance(f.attrs[name], str), (name, type(f.attrs[name]))
        assert h5py.check_string_dtype(f.attrs.get_id(name).dtype).encoding == "utf-8", name
    assert isinstance(f["spikes/net0_r0/timestamps"].attrs["units"], str)

# Networks with no recorded neuron are no population at all.
sub = run[:-4] + ["--record-neurons", "35-40", "--output", f"{d}/sub.h5"]
subprocess.run(sub, check=True)
with h5py.File(f"{d}/sub.h5", "r") as f:
    assert sorted(f["spikes"].keys()) == ["net1_r0", "net1_r1"], sorted(f["spikes"].keys())
    ids = f["spikes/net1_r0/node_ids"][:]
    assert set(ids.tolist()) <= set(range(5, 11)), sorted(set(ids.tolist()))
    dense = np.zeros((30, 500), np.int64)
    np.add.at(dense, (ids.astype(np.int64), np.rint(f["spikes/net1_r0/timestamps"][:]).astype(np.int64)), 1)
    assert np.array_equal(dense[5:11], x[0, 35:41, :])
assert sorted(libsonata.SpikeReader(f"{d}/sub.h5").get_population_names()) == ["net1_r0", "net1_r1"]
print(f"read_outputs: .npy (NumPy), .h5 (h5py, libsonata {libsonata.version}) agree: {int(x.sum())} spikes")
