#!/usr/bin/env python3
"""Figures of the worked examples from Cascade's outputs (run_all.sh runs it).

    python3 figures.py WORK_DIR OUT_DIR        (needs numpy and matplotlib)
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

work, out = sys.argv[1], sys.argv[2]


def raster(ax, x, title, max_neurons=50, max_steps=2000, dt=1.0):
    r, n = np.nonzero(x[:max_neurons, :max_steps].T)
    ax.plot(r * dt, n, "|", ms=3, color="k")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    ax.set_title(title, fontsize=9)


# 1. Stimulus: ISI histograms, PSTH folded on the period, raster.
x = np.load(os.path.join(work, "stimulus_spikes.npy"))[0]  # [500 neurons, steps]
period, n = 100, 50
stim = np.zeros(x.shape[0], bool)
for k in range(10):
    stim[k * n:k * n + 4] = True
fig, ax = plt.subplots(1, 3, figsize=(12, 3.4))
for mask, label in ((stim, "stimulated"), (~stim, "unstimulated")):
    isis = np.concatenate([np.diff(np.flatnonzero(row)) for row in x[mask]])
    ax[0].hist(isis, bins=np.arange(0, 300, 5), density=True, histtype="step", label=label)
ax[0].set_xlabel("ISI (ms)")
ax[0].set_ylabel("density")
ax[0].legend(fontsize=8)
ax[0].set_title("ISI distributions", fontsize=9)
steps = x.shape[1] // period * period
for mask, label in ((stim, "stimulated"), (~stim, "unstimulated")):
    folded = x[mask, :steps].reshape(mask.sum(), -1, period).mean(axis=(0, 1)) * 1000.0
    ax[1].plot(np.arange(period), folded, label=label)
ax[1].axvspan(0, 10, color="orange", alpha=0.2, label="stimulus on")
ax[1].set_xlabel("time within the period (ms)")
ax[1].set_ylabel("rate (Hz)")
ax[1].legend(fontsize=8)
ax[1].set_title("PSTH folded on the 100 ms period", fontsize=9)
raster(ax[2], x[:50], "network 0 (neurons 0-3 stimulated)", max_steps=1000)
fig.tight_layout()
fig.savefig(os.path.join(out, "workflow_stimulus.png"), dpi=110)

# 2. RectifiedLNP before and after tuning theta.
before = np.load(os.path.join(work, "lnp_before.npy"))[0]
after = np.load(os.path.join(work, "lnp_after.npy"))[0]
tuned = json.load(open(os.path.join(work, "lnp_tuned.json")))
dt = tuned["params"]["dt"]
fig, ax = plt.subplots(1, 3, figsize=(12, 3.4))
raster(ax[0], before, f"before: theta = {tuned['initial']['theta']:.4g}, "
       f"{before.mean() * 1000 / dt:.3g} Hz", max_steps=3000, dt=dt)
raster(ax[1], after, f"after: theta = {tuned['final']['theta']:.4g}, "
       f"{after.mean() * 1000 / dt:.3g} Hz", max_steps=3000, dt=dt)
h = tuned["history"]
ax[2].plot([e["epoch"] for e in h], [e["rate_hz"] for e in h])
ax[2].axhline(tuned["target_hz"], color="r", ls="--", label="target")
ax[2].set_xlabel("epoch")
ax[2].set_ylabel("expected rate (Hz)")
ax[2].legend(fontsize=8)
ax[2].set_title("tune", fontsize=9)
fig.tight_layout()
fig.savefig(os.path.join(out, "workflow_tune_lnp.png"), dpi=110)

# 3. PoissonGLM tuned to 62.5 Hz: per-network and per-neuron rates.
y = np.load(os.path.join(work, "poisson_spikes.npy"))[0]  # [400, steps]
rates = y.mean(axis=1) * 1000.0
per_net = rates.reshape(10, 40).mean(axis=1)
fig, ax = plt.subplots(1, 2, figsize=(8, 3.4))
ax[0].hist(per_net, bins=10)
ax[0].axvline(62.5, color="r", ls="--")
ax[0].set_xlabel("network rate (Hz)")
ax[0].set_title(f"10 networks: mean {per_net.mean():.4g} Hz", fontsize=9)
ax[1].hist(rates, bins=30)
ax[1].axvline(62.5, color="r", ls="--")
ax[1].set_xlabel("neuron rate (Hz)")
ax[1].set_title("400 neurons", fontsize=9)
fig.tight_layout()
fig.savefig(os.path.join(out, "workflow_poisson_62hz.png"), dpi=110)
print(f"figures: stimulus, tune_lnp ({before.mean() * 1000 / dt:.3g} -> {after.mean() * 1000 / dt:.3g} Hz), "
      f"poisson ({rates.mean():.4g} Hz) in {out}")
