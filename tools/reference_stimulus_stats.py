#!/usr/bin/env python3
"""Stimulus-locked firing rates measured with the reference package spikeometric.

For each case below: the BernoulliGLM at the reference test-suite parameters on
the 100-neuron glorot network of tests/data/reference_stats (bgl_glorot100_W0.npy),
with one stimulus reaching the first 50 neurons, simulated RUNS times with
`model.simulate(data, n_steps, equilibration_steps=100)`, each run a new model
and a new stimulus with their own torch generators (so a Poisson stimulus gets
a new event plan per run). Per run it computes rates (Hz) of groups of
neuron-steps chosen by the stimulus's phase, which pins the stimulus clock
(t = 0 at the first recorded step) and the rules, and writes
tests/data/reference_stats/stimulus_stats.tsv: one line per (case, statistic)
with the mean and sd (ddof=1) across runs. The `stimulus` column holds the
same stimulus in Cascade's --stimulus syntax.

    /tmp/smvenv/bin/python tools/reference_stimulus_stats.py [--runs 16] [--out DIR]

spikeometric is GPL-3.0; this script only imports and runs it.
"""
import argparse
import os

import numpy as np
import torch

torch.set_num_threads(1)
from spikeometric.models import BernoulliGLM  # noqa: E402
from spikeometric.stimulus import PoissonStimulus, RegularStimulus, SinStimulus  # noqa: E402
from torch_geometric.data import Data  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "tests", "data", "reference_stats")
N_STEPS = 5000
MASKED = 50
BGL_PARAMS = dict(theta=5.0, dt=1.0, coupling_window=5, alpha=0.2, abs_ref_scale=3, abs_ref_strength=-100.0,
                  rel_ref_scale=7, rel_ref_strength=-30.0, beta=0.5, r=1.0)

t = np.arange(N_STEPS)
CASES = [
    dict(case="regular", cascade="regular:strength=3,period=50,tau=10,stop=5000",
         make=lambda mask, rng: RegularStimulus(strength=3.0, period=50, tau=10, stop=5000, stimulus_masks=mask),
         groups={"masked_on": (True, t % 50 < 10), "masked_off": (True, t % 50 >= 10),
                 "unmasked": (False, t >= 0)}),
    dict(case="sin", cascade="sin:amplitude=2,period=100,duration=5000",
         make=lambda mask, rng: SinStimulus(amplitude=2.0, period=100.0, duration=5000, stimulus_masks=mask),
         groups={"masked_rising": (True, (t % 100 >= 1) & (t % 100 < 50)),
                 "masked_falling": (True, t % 100 >= 51), "unmasked": (False, t >= 0)}),
    dict(case="poisson", cascade="poisson:strength=4,mean_interval=40,duration=5000,tau=5",
         make=lambda mask, rng: PoissonStimulus(strength=4.0, mean_interval=40, duration=5000, stimulus_masks=mask,
                                                tau=5, rng=rng),
         groups={"masked": (True, t >= 0), "unmasked": (False, t >= 0)}),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--out", default=DATA)
    a = ap.parse_args()
    W = np.load(os.path.join(DATA, "bgl_glorot100_W0.npy"))
    n = W.shape[0]
    ei = np.array(np.nonzero(W))
    data = Data(edge_index=torch.tensor(ei, dtype=torch.long), W0=torch.tensor(W[ei[0], ei[1]]), num_nodes=n)
    mask = torch.zeros(n, dtype=torch.bool)
    mask[:MASKED] = True
    lines = []
    for ci, c in enumerate(CASES):
        stats = {g: [] for g in c["groups"]}
        for run in range(a.runs):
            seed = 5000 + 100 * ci + run
            torch.manual_seed(seed)
            model = BernoulliGLM(**BGL_PARAMS, rng=torch.Generator().manual_seed(seed))
            model.add_stimulus(c["make"](mask, torch.Generator().manual_seed(seed + 7)))
            x = model.simulate(data, n_steps=N_STEPS, verbose=False, equilibration_steps=100,
                               store_as_dtype=torch.int).numpy()
            for g, (masked, steps) in c["groups"].items():
                rows = x[:MASKED] if masked else x[MASKED:]
                stats[g].append(rows[:, steps].mean() * 1000.0 / BGL_PARAMS["dt"])
        for g, v in stats.items():
            v = np.array(v)
            lines.append([c["case"], "bgl_glorot100_W0.npy", str(N_STEPS), "100", str(a.runs), c["cascade"],
                          str(MASKED), g, repr(float(v.mean())), repr(float(v.std(ddof=1)))])
            print(c["case"], g, f"{v.mean():.4f} +- {v.std(ddof=1):.4f}", flush=True)
    with open(os.path.join(a.out, "stimulus_stats.tsv"), "w") as f:
        f.write("case\tweights\tn_steps\tequilibration\truns\tstimulus\tmasked_first\tstat\tmean\tsd\n")
        for line in lines:
            f.write("\t".join(line) + "\n")


if __name__ == "__main__":
    main()
