#!/usr/bin/env python3
"""Statistical reference fixtures measured with the reference package spikeometric.

What it does
------------
For each case in CASES below this script

1. generates one network with spikeometric's OWN dataset generators
   (spikeometric.datasets.NormalGenerator / UniformGenerator, `.generate(1)`)
   from a fixed torch seed, and saves it as a dense float32 .npy [N, N] with
   rows presynaptic and columns postsynaptic: W0[j, i] = weight of the edge
   j -> i.  (The generator returns `edge_index = W0_square.nonzero().t()`, so
   edge_index[0] is the row = source = presynaptic neuron, and PyG's default
   source_to_target message flow makes neuron i sum W0[j, i] * x_j.)  The
   dense matrix is rebuilt from the returned Data's edge_index/W0, so the file
   is exactly the network that was simulated;
2. runs spikeometric's `model.simulate(data, n_steps, equilibration_steps=100,
   verbose=False, store_as_dtype=torch.int)` RUNS times, each run with a new
   model whose torch.Generator has its own seed (and a freshly seeded global
   torch RNG, which SA models use for their initial activation), i.e. a fresh
   random initial state per run; no stimulus;
3. computes per run, from the recorded raster x [N, n_steps] (counts):
   - rate_hz    = x.sum() / (N * n_steps) * 1000 / dt
   - isi_cv     : spike times of neuron i = steps where x[i, t] >= 1
                  (multiplicity ignored); ISIs = diffs; for each neuron with
                  >= 3 ISIs, CV = std(ISI, ddof=0) / mean(ISI); isi_cv = mean
                  of those CVs (NaN if no neuron qualifies);
   - count_corr : counts (with multiplicity) summed into consecutive,
                  non-overlapping 50-step bins (incomplete last bin dropped);
                  Pearson correlation for every pair i < j whose binned vectors
                  both have non-zero variance; count_corr = mean over pairs;
4. writes tests/data/reference_stats/reference_stats.tsv (one line per case:
   mean and sd (ddof=1) of each statistic across the runs), the W0 files, and
   a README.md in the same folder.

Deliberate deviations from the reference's code, matching Cascade's documented
fixes (design.md section 5, docs/divergences.md):
- pglm_dt1_20 uses PoissonGLM with dt = 1.0.  The reference multiplies the
  sampled counts by dt (with integer storage and dt < 1 that records nothing);
  with dt = 1 the multiplication is the identity, so the reference behaves
  correctly there.
- tsam20 uses ThresholdSAM with its background_input MONKEYPATCHED to the
  corrected formula b * (1 + m * xi), xi ~ N(0, sigma^2), m ~ Bernoulli(rho)
  (the reference computes b * (1 + m * xi^2)).  The tsam20 numbers therefore
  describe the PATCHED semantics, i.e. Cascade's, not stock spikeometric.

How to rerun
------------
    python -m venv /tmp/smvenv
    /tmp/smvenv/bin/pip install spikeometric==1.0.3 torch torch-geometric
    /tmp/smvenv/bin/python tools/reference_stats.py            # all cases
    /tmp/smvenv/bin/python tools/reference_stats.py --runs 4 --cases lnp20 \
        --out /tmp/stats                                        # quick look

It uses one CPU thread (torch.set_num_threads(1)); the full set takes a few
minutes.  Everything is seeded, but bit-identical output across torch versions
or machines is not guaranteed; the fixtures are statistical targets.

License
-------
spikeometric is GPL-3.0.  This script only imports and RUNS it to measure
reference behaviour; no spikeometric code is copied into Cascade.  (The 3-line
corrected background term for tsam20 is written here from the documented
equation, not taken from the package.)
"""

import argparse
import datetime
import inspect
import math
import os
import platform
import sys
import time
import types

import numpy as np
import torch

torch.set_num_threads(1)

import spikeometric  # noqa: E402
import torch_geometric  # noqa: E402
from spikeometric.datasets import NormalGenerator, UniformGenerator  # noqa: E402
from spikeometric.models import (  # noqa: E402
    BernoulliGLM,
    PoissonGLM,
    RectifiedLNP,
    RectifiedSAM,
    ThresholdSAM,
)

try:
    from importlib.metadata import version as _pkg_version
except ImportError:  # pragma: no cover
    _pkg_version = None

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "tests", "data", "reference_stats")

RUNS = 16
EQUILIBRATION = 100
BIN = 50  # steps per bin for count_corr

# Model parameters: the reference's own unit-test fixture parameters
# (shared/reference/spikeometric_fixtures/<model>/params.json), except
# PoissonGLM's dt (1.0 instead of 0.1, see module docstring).
BGL_PARAMS = dict(theta=5.0, dt=1.0, coupling_window=5, alpha=0.2,
                  abs_ref_scale=3, abs_ref_strength=-100.0, rel_ref_scale=7,
                  rel_ref_strength=-30.0, beta=0.5, r=1.0)
PGLM_PARAMS = dict(alpha=15.9, beta=10.0, T=200, tau=10.0, dt=1.0,
                   r=0.025, b=0.001)
LNP_PARAMS = dict(lambda_0=9.8, theta=-0.002, T=200, tau=10.0, dt=0.1,
                  r=0.025, b=0.001)
RSAM_PARAMS = dict(lambda_0=1.0861, theta=-0.0137, tau=10.0, dt=0.1,
                   r=0.025, b=0.001)
TSAM_PARAMS = dict(r=0.025, b=0.001, tau=10.0, dt=0.1, sigma=0.3, rho=0.07,
                   theta=0.001378)

# "glorot" networks as in the reference's saved glorot dataset
# (shared/reference/spikeometric_fixtures/glorot_0_W0.npy: 20 neurons, ~48 %
# dense, Dale's law, non-zero sd ~1.2 = std 5 / sqrt(20) with glorot scaling).
# With sparsity 0.5 NormalGenerator keeps every entry of its [N/2, N] half
# matrix and Dale's law then splits it into positive rows 0..N/2-1 and negative
# rows N/2..N-1, so ~50 % of the off-diagonal entries are non-zero.
CASES = [
    dict(case="bgl_glorot20", model="BernoulliGLM", cls=BernoulliGLM,
         params=BGL_PARAMS, n_steps=10000, seed=1001,
         gen=("normal", dict(n_neurons=20, mean=0.0, std=5.0, sparsity=0.5,
                             glorot=True))),
    dict(case="bgl_glorot100", model="BernoulliGLM", cls=BernoulliGLM,
         params=BGL_PARAMS, n_steps=5000, seed=1002,
         gen=("normal", dict(n_neurons=100, mean=0.0, std=5.0, sparsity=0.5,
                             glorot=True))),
    dict(case="pglm_dt1_20", model="PoissonGLM", cls=PoissonGLM,
         params=PGLM_PARAMS, n_steps=5000, seed=1003,
         gen=("normal", dict(n_neurons=20, mean=0.0, std=1.0, sparsity=0.5,
                             glorot=True))),
    dict(case="lnp20", model="RectifiedLNP", cls=RectifiedLNP,
         params=LNP_PARAMS, n_steps=10000, seed=1004,
         gen=("normal", dict(n_neurons=20, mean=0.0, std=1.0, sparsity=0.5,
                             glorot=True))),
    dict(case="rsam20", model="RectifiedSAM", cls=RectifiedSAM,
         params=RSAM_PARAMS, n_steps=10000, seed=1005,
         gen=("uniform", dict(n_neurons=20, low=-0.002289, high=0.0,
                              sparsity=0.9))),
    dict(case="tsam20", model="ThresholdSAM", cls=ThresholdSAM,
         params=TSAM_PARAMS, n_steps=10000, seed=1006, patch_tsam=True,
         gen=("uniform", dict(n_neurons=20, low=-0.002289, high=0.0,
                              sparsity=0.9))),
]

COLUMNS = ["case", "model", "weights", "n_neurons", "n_steps", "equilibration",
           "dt", "runs", "params", "rate_mean", "rate_sd", "cv_mean", "cv_sd",
           "corr_mean", "corr_sd"]


# --------------------------------------------------------------------------
# networks
# --------------------------------------------------------------------------
def make_network(gen, seed):
    """Generate one network with spikeometric's generator; return (data, W)."""
    kind, kw = gen
    # NormalGenerator draws its sparsity mask with torch.rand_like, i.e. from
    # the GLOBAL torch RNG, not from rng: seed both.
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    if kind == "normal":
        g = NormalGenerator(rng=rng, **kw)
    elif kind == "uniform":
        g = UniformGenerator(rng=rng, **kw)
    else:
        raise ValueError(kind)
    data = g.generate(1)[0]
    n = int(data.num_nodes)
    ei = data.edge_index.numpy()
    W = np.zeros((n, n), dtype=np.float32)
    W[ei[0], ei[1]] = data.W0.numpy().astype(np.float32)
    assert not np.any(np.diag(W)), "generator produced self-edges"
    return data, W


def generator_call(gen, seed):
    kind, kw = gen
    name = {"normal": "NormalGenerator", "uniform": "UniformGenerator"}[kind]
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    return (f"torch.manual_seed({seed}); spikeometric.datasets.{name}({args}, "
            f"rng=torch.Generator().manual_seed({seed})).generate(1)[0]")


# --------------------------------------------------------------------------
# patched ThresholdSAM background (Cascade's corrected semantics)
# --------------------------------------------------------------------------
def corrected_background_input(self, n_neurons):
    """b * (1 + m * xi), xi ~ N(0, sigma^2), m ~ Bernoulli(rho)."""
    xi = torch.normal(0.0, float(self.sigma), size=(n_neurons,),
                      generator=self._rng)
    m = torch.rand(n_neurons, generator=self._rng) < self.rho
    return self.b * (1 + m * xi)


# --------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------
def rate_hz(x, dt):
    n, t = x.shape
    return float(x.sum()) / (n * t) * 1000.0 / dt


def isi_cv(x):
    cvs = []
    for row in x:
        times = np.flatnonzero(row >= 1)
        isi = np.diff(times)
        if isi.size >= 3:
            cvs.append(isi.std(ddof=0) / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def count_corr(x, bin_steps=BIN):
    n, t = x.shape
    nb = t // bin_steps
    b = x[:, :nb * bin_steps].astype(np.float64).reshape(n, nb, bin_steps).sum(2)
    ok = b.var(axis=1) > 0
    bb = b[ok]
    if bb.shape[0] < 2:
        return float("nan")
    c = np.corrcoef(bb)
    iu = np.triu_indices(bb.shape[0], k=1)
    return float(np.mean(c[iu]))


# --------------------------------------------------------------------------
def fmt(v):
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def params_string(cls, params):
    names = [p for p in inspect.signature(cls.__init__).parameters
             if p not in ("self", "rng")]
    assert set(names) == set(params), (cls.__name__, names, params)
    return ";".join(f"{k}={fmt(params[k])}" for k in names)


def run_case(c, runs, out):
    t0 = time.time()
    data, W = make_network(c["gen"], c["seed"])
    n = W.shape[0]
    wname = f"{c['case']}_W0.npy"
    np.save(os.path.join(out, wname), W)
    dt = float(c["params"]["dt"])
    stats = []
    maxcount = 0
    for r in range(runs):
        s = c["seed"] * 1000 + r
        torch.manual_seed(s)  # SA models draw the initial activation globally
        model = c["cls"](rng=torch.Generator().manual_seed(s), **c["params"])
        if c.get("patch_tsam"):
            model.background_input = types.MethodType(
                corrected_background_input, model)
        with torch.no_grad():
            x = model.simulate(data, c["n_steps"], verbose=False,
                               equilibration_steps=EQUILIBRATION,
                               store_as_dtype=torch.int)
        x = x.numpy().astype(np.int64)
        assert x.shape == (n, c["n_steps"])
        maxcount = max(maxcount, int(x.max()))
        stats.append((rate_hz(x, dt), isi_cv(x), count_corr(x)))
    a = np.array(stats)
    row = dict(case=c["case"], model=c["model"], weights=wname, n_neurons=n,
               n_steps=c["n_steps"], equilibration=EQUILIBRATION, dt=dt,
               runs=runs, params=params_string(c["cls"], c["params"]),
               rate_mean=a[:, 0].mean(), rate_sd=a[:, 0].std(ddof=1),
               cv_mean=a[:, 1].mean(), cv_sd=a[:, 1].std(ddof=1),
               corr_mean=a[:, 2].mean(), corr_sd=a[:, 2].std(ddof=1))
    info = dict(seconds=time.time() - t0, n_edges=int((W != 0).sum()),
                density=float((W != 0).sum()) / (n * (n - 1)),
                w_min=float(W.min()), w_max=float(W.max()),
                max_count=maxcount, per_run=a)
    return row, info


def tsv_line(row):
    out = []
    for k in COLUMNS:
        v = row[k]
        out.append(v if isinstance(v, str) else fmt(v))
    return "\t".join(out)


def pkg_version(name):
    try:
        return _pkg_version(name)
    except Exception:
        return "unknown"


def write_readme(out, rows, infos, runs, total_s):
    today = datetime.date.today().isoformat()
    L = []
    L.append("# Reference statistics measured with spikeometric")
    L.append("")
    L.append("Made by `tools/reference_stats.py` (its docstring says how to "
             "rerun it). spikeometric is GPL-3.0: it was only run to measure "
             "these numbers; none of its code is in Cascade.")
    L.append("")
    L.append(f"- spikeometric {pkg_version('spikeometric')}, torch "
             f"{torch.__version__} (PyPI wheel, run on the CPU), torch_geometric "
             f"{torch_geometric.__version__}, numpy {np.__version__}, "
             f"Python {platform.python_version()}, CPU "
             f"({platform.machine()}), torch.set_num_threads(1)")
    L.append(f"- date {today}; total run time {total_s:.0f} s")
    L.append(f"- {runs} independent runs per case; equilibration_steps="
             f"{EQUILIBRATION}; no stimulus; store_as_dtype=torch.int")
    L.append("")
    L.append("## Files")
    L.append("")
    L.append("- `reference_stats.tsv`: header + one line per case, "
             "tab-separated: " + ", ".join(f"`{c}`" for c in COLUMNS) + ". "
             "`params` lists every model parameter by spikeometric's name "
             "(`name=value;...`); `*_mean`/`*_sd` are the mean and sd "
             "(ddof=1) across the runs of the per-run statistics below.")
    L.append("- `<case>_W0.npy`: the simulated network, float32 [N, N], rows "
             "presynaptic, columns postsynaptic (edge j->i where "
             "W0[j, i] != 0; zero diagonal).")
    L.append("")
    L.append("## Cases")
    L.append("")
    L.append("| case | model | network (spikeometric call) | edges | density "
             "| W0 min, max (all entries) | max count in a step | seconds |")
    L.append("|---|---|---|---|---|---|---|---|")
    for c, row, info in zip(CASES, rows, infos):
        L.append(f"| {row['case']} | {row['model']} | "
                 f"`{generator_call(c['gen'], c['seed'])}` | "
                 f"{info['n_edges']} | {info['density']:.3f} | "
                 f"[{info['w_min']:.4g}, {info['w_max']:.4g}] | "
                 f"{info['max_count']} | {info['seconds']:.0f} |")
    L.append("")
    L.append("Run r (0-based) of a case with seed S: `torch.manual_seed(S*1000"
             "+r)` and the model built with `rng=torch.Generator()."
             "manual_seed(S*1000+r)`, then `model.simulate(data, n_steps, "
             "verbose=False, equilibration_steps=100, store_as_dtype="
             "torch.int)`.")
    L.append("")
    L.append("Each case uses ONE network (the saved `<case>_W0.npy`); the "
             "sd columns are run-to-run spread on that network, not "
             "network-to-network spread, so compare on the same W0.")
    L.append("")
    L.append("Notes per case:")
    L.append("")
    L.append("- `bgl_glorot20`, `bgl_glorot100`: BernoulliGLM at the "
             "reference test parameters on \"glorot\" networks (normal "
             "weights mean 0, std 5, divided by sqrt(N), sparsity 0.5, "
             "Dale's law), the settings that reproduce the reference's saved "
             "glorot dataset (`glorot_0_W0.npy`: ~48 % dense, non-zero sd "
             "~1.2).")
    L.append("- `pglm_dt1_20`: PoissonGLM at the reference test parameters "
             "but dt = 1.0: the reference multiplies sampled counts by dt "
             "(a defect Cascade fixes); with dt = 1 that is the identity, so "
             "here the reference is correct. Network: normal, std 1, glorot.")
    L.append("- `lnp20`: RectifiedLNP at the reference test parameters "
             "(dt 0.1, T 200); normal network, std 1, glorot.")
    L.append("- `rsam20`: RectifiedSAM at the reference test parameters; "
             "uniform network on [-0.002289, 0] (purely inhibitory; the "
             "range is not symmetric so no Dale split), each entry zeroed "
             "with probability sparsity = 0.9.")
    L.append("- `tsam20`: ThresholdSAM at the reference test parameters on "
             "the same kind of uniform network, with `background_input` "
             "MONKEYPATCHED to Cascade's corrected `b*(1 + m*xi)`, "
             "xi ~ N(0, sigma^2), m ~ Bernoulli(rho) (stock spikeometric "
             "computes `b*(1 + m*xi^2)`). These numbers are for the "
             "patched semantics.")
    L.append("")
    L.append("## Statistics (per run, from the recorded raster x [N, "
             "n_steps] of counts)")
    L.append("")
    L.append("- rate_hz = x.sum() / (N * n_steps) * 1000 / dt")
    L.append("- isi_cv: spike times of neuron i = steps where x[i, t] >= 1 "
             "(multiplicity ignored); ISIs = diffs; for each neuron with >= 3 "
             "ISIs, CV = std(ISI, ddof=0) / mean(ISI); isi_cv = mean over "
             "those neurons.")
    L.append(f"- count_corr: counts (with multiplicity) summed in "
             f"consecutive non-overlapping {BIN}-step bins (incomplete last "
             f"bin dropped); Pearson correlation of every pair i < j whose "
             f"binned vectors both have non-zero variance; count_corr = mean "
             f"over those pairs.")
    L.append("")
    L.append("These are statistical targets: compare Cascade's mean across "
             "its own runs with `*_mean` using a tolerance of a few "
             "`*_sd / sqrt(runs)` (plus Cascade's own run-to-run spread).")
    L.append("")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=RUNS)
    ap.add_argument("--cases", nargs="*", default=None,
                    help="subset of case names (default: all)")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    global CASES
    if args.cases:
        CASES = [c for c in CASES if c["case"] in args.cases]
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    rows, infos = [], []
    for c in CASES:
        row, info = run_case(c, args.runs, args.out)
        rows.append(row)
        infos.append(info)
        pr = info["per_run"]
        print(f"{row['case']}: {info['seconds']:.1f}s edges={info['n_edges']}"
              f" max_count={info['max_count']}"
              f" rate={row['rate_mean']:.4g}+-{row['rate_sd']:.3g}"
              f" cv={row['cv_mean']:.4g}+-{row['cv_sd']:.3g}"
              f" corr={row['corr_mean']:.4g}+-{row['corr_sd']:.3g}"
              f" nan={int(np.isnan(pr).sum())}", flush=True)
    total = time.time() - t0
    with open(os.path.join(args.out, "reference_stats.tsv"), "w") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for row in rows:
            f.write(tsv_line(row) + "\n")
    write_readme(args.out, rows, infos, args.runs, total)
    print(f"total {total:.1f}s -> {args.out}")


if __name__ == "__main__":
    main()
