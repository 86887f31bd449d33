#!/usr/bin/env python3
"""Cascade against its reference (spikeometric) on the same cases, side by side.

    python3 bench/compare_reference.py --bench build/bench/cascade-bench \\
        [--case NAME ...] [--device cpu|cuda] [--budget 3] [--out bench/results/cpu]

1. `cascade-bench --write-networks` writes every selected case's networks (the
   same W0 files both sides use) and cases.json (model, parameters, replicas);
2. `cascade-bench --json` times Cascade on them (unless --cascade-json gives
   a file measured earlier);
3. this script times spikeometric's `model.simulate` on the same networks
   (batches and replicas as one PyG batch of graphs), on the same machine,
   in this process tree: the time per step is the difference between a long
   and a short run divided by the difference in steps, so set-up costs cancel;
   each long run lasts about --budget seconds;
4. it prints the ratio table and checks that both sides simulate the same thing:
   beside each reference rate, Cascade's rate over the same window (a fresh
   state, 1 equilibration step, the same number of steps, via `cascade
   simulate`), since a short window from a random state need not be
   stationary; writes reference.json and comparison.json to --out.

Needs numpy, torch, torch_geometric and spikeometric==1.0.3. If they are
missing it creates a virtual environment (CASCADE_REF_VENV, default
~/.cache/cascade/refvenv), installs them there once (CPU wheels of torch) and
re-runs itself with it.

spikeometric is GPL-3.0; this script only imports and runs it.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

REQUIREMENTS = ["numpy", "spikeometric==1.0.3", "torch_geometric"]


def ensure_environment():
    try:
        import numpy  # noqa: F401
        import spikeometric  # noqa: F401
        import torch  # noqa: F401
        import torch_geometric  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("CASCADE_REF_REEXEC"):
        sys.exit("compare_reference: the environment at CASCADE_REF_VENV still lacks the reference packages")
    venv = os.environ.get("CASCADE_REF_VENV", os.path.expanduser("~/.cache/cascade/refvenv"))
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        print(f"compare_reference: creating {venv} (once)", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([py, "-m", "pip", "install", "-q", "torch", "--index-url",
                               "https://download.pytorch.org/whl/cpu"])
        subprocess.check_call([py, "-m", "pip", "install", "-q"] + REQUIREMENTS)
    env = dict(os.environ, CASCADE_REF_REEXEC="1")
    os.execve(py, [py] + sys.argv, env)


def load_network(path):
    import numpy as np
    import torch
    from torch_geometric.data import Data
    if path.endswith(".npy"):
        w = np.load(path)
        ei = np.array(np.nonzero(w))
        vals = w[ei[0], ei[1]]
        n = w.shape[0]
    else:
        ei = np.load(os.path.join(path, "edge_index.npy"))
        vals = np.load(os.path.join(path, "weights.npy"))
        n = int(np.load(os.path.join(path, "num_nodes.npy")).reshape(-1)[0])
    return Data(edge_index=torch.tensor(ei, dtype=torch.long), W0=torch.tensor(vals, dtype=torch.float32), num_nodes=n)


def make_model(name, params, device):
    import torch
    from spikeometric import models
    cls = {"bernoulli_glm": models.BernoulliGLM, "poisson_glm": models.PoissonGLM,
           "rectified_lnp": models.RectifiedLNP, "rectified_sam": models.RectifiedSAM,
           "threshold_sam": models.ThresholdSAM}[name]
    import inspect
    accepted = set(inspect.signature(cls.__init__).parameters)
    kw = {k: (int(v) if float(v).is_integer() and k in ("T", "coupling_window", "abs_ref_scale", "rel_ref_scale")
              else float(v)) for k, v in params.items() if k in accepted}
    return cls(**kw, rng=torch.Generator(device=device).manual_seed(1)).to(device)


def time_reference_tune(case, root, device, budget):
    """ms per tune epoch: BernoulliGLM, theta/alpha/beta, 100-step epochs (as cascade-bench's tune cases)."""
    graphs = [load_network(os.path.join(root, f)) for f in case["networks"]]
    data = graphs[0].to(device)
    model = make_model(case["model"], case["params"], device)

    def run(epochs):
        import torch
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.tune(data, firing_rate=10.0, tunable_parameters=["theta", "alpha", "beta"], lr=0.01, n_steps=100,
                   n_epochs=epochs, verbose=False)
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0

    run(1)  # warm-up
    t1 = run(1)
    t3 = run(3)
    per = max((t3 - t1) / 2, 1e-6)
    k = int(min(max(3, budget / per), 1000))
    tk = run(1 + k)
    return {"case": case["case"], "backend": "reference-" + device, "neurons": int(data.num_nodes),
            "synapses": int(data.edge_index.shape[1]), "steps": k, "unit": "epoch",
            "us_per_step": (tk - t1) / k * 1e6, "mean_rate_hz": float("nan")}


def time_reference(case, root, device, budget):
    import torch
    from torch_geometric.data import Batch
    if case.get("kind") == "tune":
        return time_reference_tune(case, root, device, budget)
    graphs = [load_network(os.path.join(root, f)) for f in case["networks"]]
    graphs = graphs * int(case["replicas"])  # replicas: independent copies in one batch
    data = Batch.from_data_list(graphs) if len(graphs) > 1 else graphs[0]
    data = data.to(device)
    model = make_model(case["model"], case["params"], device)

    def run(steps):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.no_grad():
            x = model.simulate(data, n_steps=steps, verbose=False, equilibration_steps=1)
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0, x

    run(2)  # warm-up
    short = 3
    t_short, _ = run(short)
    t_probe, _ = run(short + 10)
    per = max((t_probe - t_short) / 10, 1e-7)
    long = int(min(max(short + 20, budget / per), 200000))
    t_long, x = run(long)
    us = (t_long - t_short) / (long - short) * 1e6
    dt = float(case["params"].get("dt", 1.0))
    rate = float(x.sum()) / (x.shape[0] * x.shape[1]) * 1000.0 / dt
    return {"case": case["case"], "backend": "reference-" + device, "neurons": int(data.num_nodes),
            "synapses": int(data.edge_index.shape[1]), "steps": long, "us_per_step": us, "mean_rate_hz": rate}


def cascade_rates(cli, case, root, steps, threads, seeds=16):
    """Cascade's mean rate under the reference run's protocol (a fresh state,
    1 equilibration step, `steps` recorded steps) for `seeds` independent
    initial states: (mean, sd). A short window from a random state is not
    stationary and depends on the initial volley, so one reference run is
    compared with this spread, not with Cascade's steady-state rate."""
    import numpy as np
    if case.get("kind") == "tune" or not cli:
        return float("nan"), float("nan")
    nets = os.path.join(root, case["case"])
    out = os.path.join(root, case["case"] + "_rates.npy")
    reps = int(case["replicas"])
    args = [cli, "simulate", "--model", case["model"], "--weights", nets, "--steps", str(steps),
            "--equilibration", "1", "--replicas", str(reps * seeds), "--threads", str(threads), "--quiet",
            "--force", "--output", out]
    args += sum((["--param", f"{k}={v}"] for k, v in case["params"].items()), [])
    subprocess.run(args, check=True)
    x = np.load(out).astype(np.float64)  # [replicas, neurons, steps]
    dt = float(case["params"].get("dt", 1.0))
    per = x.reshape(seeds, reps, x.shape[1], x.shape[2]).mean(axis=(1, 2, 3)) * 1000.0 / dt
    os.remove(out)
    os.remove(out + ".json")
    return float(per.mean()), float(per.std(ddof=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default="build/bench/cascade-bench")
    ap.add_argument("--case", action="append", default=[])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per long reference run")
    ap.add_argument("--cascade-json", help="Cascade results measured earlier (skips timing Cascade)")
    ap.add_argument("--threads", type=int, default=0, help="threads for both sides (0: all cores)")
    ap.add_argument("--out", default="bench/results/latest")
    ap.add_argument("--rates-only", action="store_true",
                    help="reuse --out's reference.json and cascade.json; recompute only the rate check")
    ap.add_argument("--cli", default=None, help="the cascade command line (default: beside --bench, ../cascade)")
    a = ap.parse_args()
    ensure_environment()
    import torch
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    nets = os.path.join(a.out, "networks")
    cases_args = sum((["--case", c] for c in a.case), [])
    if not a.rates_only:
        subprocess.check_call([a.bench, "--write-networks", nets] + cases_args)
    with open(os.path.join(nets, "cases.json")) as f:
        cases = json.load(f)
    cascade_json = a.cascade_json or os.path.join(a.out, "cascade.json")
    if not a.cascade_json and not a.rates_only:
        backend = ["--backend", "gpu"] if a.device == "cuda" else []
        subprocess.check_call([a.bench, "--json", cascade_json, "--threads", str(a.threads)] + backend + cases_args)
    with open(cascade_json) as f:
        ours = {r["case"]: r for r in json.load(f)["results"] if r["backend"] == ("cpu" if a.device == "cpu" else "gpu")}

    cli = a.cli or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(a.bench))), "cascade")
    if not os.path.exists(cli):
        cli = None
    ref = []
    print(f"{'case':18} {'neurons':>8} {'synapses':>11} {'cascade us':>11} {'reference us':>13} {'ratio':>8}"
          f" {'steps':>6} {'rate cascade (16 seeds)':>18} {'rate ref':>9}")
    earlier = {}
    if a.rates_only:
        with open(os.path.join(a.out, "reference.json")) as f:
            earlier = {r["case"]: r for r in json.load(f)["results"]}
    for c in cases:
        r = earlier[c["case"]] if a.rates_only else time_reference(c, nets, a.device, a.budget)
        r["cascade_rate_same_window"], r["cascade_rate_same_window_sd"] = cascade_rates(cli, c, nets, r["steps"],
                                                                                        a.threads)
        ref.append(r)
        o = ours.get(c["case"])
        ratio = r["us_per_step"] / o["us_per_step_median"] if o else float("nan")
        print(f"{c['case']:18} {r['neurons']:8d} {r['synapses']:11d} "
              f"{(o['us_per_step_median'] if o else float('nan')):11.4g} {r['us_per_step']:13.4g} {ratio:8.3g}"
              f" {r['steps']:6d} {r['cascade_rate_same_window']:9.4g} ±{r['cascade_rate_same_window_sd']:<7.3g}"
              f" {r['mean_rate_hz']:9.4g}", flush=True)
    import spikeometric
    earlier_meta = None
    if a.rates_only:
        with open(os.path.join(a.out, "reference.json")) as f:
            earlier_meta = json.load(f)["machine"]
    meta = {"host": platform.node(), "python": platform.python_version(), "torch": torch.__version__,
            "spikeometric": getattr(spikeometric, "__version__", "1.0.3"), "device": a.device,
            "torch_threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d")}
    with open(os.path.join(a.out, "reference.json"), "w") as f:
        json.dump({"machine": earlier_meta if a.rates_only else meta, "results": ref}, f, indent=1)
    with open(os.path.join(a.out, "comparison.json"), "w") as f:
        rows = []
        for r in ref:
            o = ours.get(r["case"])
            if o:
                rows.append({"case": r["case"], "neurons": r["neurons"], "synapses": r["synapses"],
                             "cascade_us_per_step": o["us_per_step_median"], "reference_us_per_step": r["us_per_step"],
                             "ratio": r["us_per_step"] / o["us_per_step_median"],
                             "unit": r.get("unit", "step"), "reference_steps": r["steps"],
                             "cascade_rate_hz_same_window": r["cascade_rate_same_window"],
                             "cascade_rate_hz_same_window_sd": r["cascade_rate_same_window_sd"],
                             "cascade_rate_hz_steady": o["mean_rate_hz"], "reference_rate_hz": r["mean_rate_hz"]})
        json.dump({"machine": earlier_meta if a.rates_only else meta, "rows": rows}, f, indent=1)
    print(f"compare_reference: wrote {a.out}/reference.json and comparison.json")


if __name__ == "__main__":
    main()
