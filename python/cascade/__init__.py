"""Cascade: spiking networks of linear-nonlinear cascade neurons, bit-reproducible on CPU and GPU.

The spikeometric-shaped API: cascade.models (BernoulliGLM, PoissonGLM,
RectifiedLNP, RectifiedSAM, ThresholdSAM), cascade.stimulus, cascade.datasets.
The library's own objects: Model, Network, Simulator, Result, State, and
tune, fit (W0 back from spikes, docs/inference.md), simulate_files /
tune_files / fit_files / resume_files (the command line's run plan: outputs
streamed to files with provenance, checkpoints). docs/python.md.
"""
from __future__ import annotations

from . import _native
from ._native import Model, Network, Result, State, model_infos, model_names
from ._data import NetworkData, to_networks
from . import datasets, models, stimulus

__version__ = _native.__version__

__all__ = ["Model", "Network", "NetworkData", "Result", "State", "Simulator", "tune", "fit", "distributed", "simulate_files",
           "tune_files", "fit_files", "resume_files", "load_networks", "generate", "models", "stimulus", "datasets",
           "model_names", "model_infos", "to_networks"]


def _native_model(model):
    if isinstance(model, str):
        return _native.Model(model)
    if isinstance(model, _native.Model):
        return model
    if hasattr(model, "native"):
        return model.native
    raise TypeError(f"model: expected a model name, a cascade.Model or a cascade.models object; "
                    f"got {type(model).__name__}")


def _native_stimuli(stimuli) -> list:
    if stimuli is None:
        return []
    if not isinstance(stimuli, (list, tuple)):
        stimuli = [stimuli]
    return [s if isinstance(s, _native.Stimulus) else
            _native.Stimulus.parse(s) if isinstance(s, str) else s._native() for s in stimuli]


class Simulator(_native.Simulator):
    """A model, a batch of networks (any `data`: arrays, Data/Batch, paths, lists), replicas, a seed, a backend.

    simulate(steps, equilibration_steps=100, dtype="uint8", neurons=[], window_begin=0,
    window_end=-1, record_input=False, record_rate=False, progress=None) -> Result
    with result.spikes [replicas, neurons, steps] (a view of the library's buffer).
    """

    def __init__(self, model, data, replicas: int = 1, seed: int = 0, threads: int = 0, backend: str = "auto",
                 gpu_strategy: str = "auto", device: int = 0, replica_offset: int = 0, stimuli=None,
                 distributed: bool = False):
        if distributed:
            _guard_distributed()
        super().__init__(_native_model(model), to_networks(data), replicas=replicas, seed=seed, threads=threads,
                         backend=backend, gpu_strategy=gpu_strategy, device=device, replica_offset=replica_offset,
                         distributed=distributed)
        if stimuli is not None:
            self.set_stimuli(_native_stimuli(stimuli))


def distributed():
    """Under `mpirun -n K python script.py`: {"rank", "size", "mpi"} (MPI initialised on the first call);
    None in a plain process. Pass distributed=True to Simulator, tune, simulate_files, tune_files and
    resume_files to run them over every rank (docs/distributed.md): every rank makes the same calls;
    the results (spikes, g, phi(g)) are complete on rank 0."""
    return _native.mpi_world()


def _guard_distributed():
    """An uncaught exception on one rank ends every rank (the others may wait in a collective)."""
    import sys

    if getattr(sys, "_cascade_mpi_hook", False):
        return
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.flush()
        _native.mpi_abort(1)

    sys.excepthook = hook
    sys._cascade_mpi_hook = True


def tune(model, data, target_hz: float, selection="all", stimuli=None, **options) -> dict:
    """cascade::tune and its check: {model (tuned cascade.Model), names, initial, final,
    history, gradient_path, silent_epoch, advice, check}. Options: lr, epochs, steps,
    equilibration, replicas, seed, threads, backend, check, check_steps, tolerance,
    tolerance_hz, progress (called with each epoch's dict)."""
    sel = [selection] if isinstance(selection, str) else list(selection)
    if options.get("distributed"):
        _guard_distributed()
    return _native.tune(_native_model(model), to_networks(data), _native_stimuli(stimuli), float(target_hz), sel,
                        **options)


def _spike_counts(spikes):
    """Spikes as uint8 [trials, N, T]: an array [N, T] / [trials, N, T] of counts, a cascade.Result, or a .npy path."""
    import os

    import numpy as np

    if isinstance(spikes, (str, os.PathLike)):
        return _native.load_spikes(os.fspath(spikes))  # .npy or SONATA .h5, as cascade fit reads them
    elif isinstance(spikes, Result):
        spikes = spikes.spikes
    elif hasattr(spikes, "detach"):  # torch
        spikes = spikes.detach().cpu().numpy()
    a = np.asarray(spikes)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"spikes: shape {a.shape}; expected [neurons, steps] or [trials, neurons, steps]")
    if a.dtype != np.uint8:
        if a.dtype == np.bool_:
            a = a.astype(np.uint8)
        else:
            if a.dtype.kind not in "fiu":
                raise ValueError(f"spikes: dtype {a.dtype}; expected spike counts (integers, bool or whole floats)")
            bad = ~np.isfinite(a) | (a < 0) | (a > 255) | (a != np.floor(a)) if a.dtype.kind == "f" else \
                (a < 0) | (a > 255)
            if bad.any():
                where = tuple(int(v) for v in np.argwhere(bad)[0])
                raise ValueError(f"spikes{list(where)} is {a[where]!r}; expected spike counts (whole numbers 0 to 255)")
            a = a.astype(np.uint8)
    return np.ascontiguousarray(a)


def _one_network(data, what: str):
    if data is None:
        return None
    nets = to_networks(data)
    if len(nets) != 1:
        raise ValueError(f"{what}: expected one network, got {len(nets)}")
    return nets[0]


def fit(spikes, model="bernoulli_glm", candidates=None, screen=None, truth=None, stimuli=None, l1=0.0, l2=0.0,
        max_iterations=500, tolerance=1e-9, burn_in=None, seed=0, threads=0, progress=None) -> dict:
    """W0 fitted back from spikes by maximum likelihood (cascade::fit_connectivity, docs/inference.md).

    spikes: counts [N, T] or [trials, N, T] (array, torch tensor, cascade.Result, or a .npy / SONATA .h5 path).
    model: the model that made them, parameters fixed (a name, cascade.Model or cascade.models object).
    candidates: a network whose synapses are the edges to fit (any form cascade.Simulator takes), or
    screen=K: the K presynaptic neurons of largest filtered cross-correlation per neuron; default every pair.
    truth: the true W0: adds "recovery" and "baseline" (the cross-correlation's) figures.
    Returns {weights [N, N] float64 (rows presynaptic), history [{iteration, objective, log_likelihood,
    active_neurons}], log_likelihood, null_log_likelihood, edges, converged, iterations, stop_reasons,
    burn_in, observations, recovery, baseline}. The result does not depend on `threads`."""
    return _native.fit(_native_model(model), _spike_counts(spikes), _one_network(candidates, "candidates"),
                       int(screen or 0), _one_network(truth, "truth"), _native_stimuli(stimuli), float(l1), float(l2),
                       int(max_iterations), float(tolerance), -1 if burn_in is None else int(burn_in), int(seed),
                       int(threads), progress)


def fit_files(progress=None, **options) -> dict:
    """cascade fit through the library's run plan (spikes=..., output=...; writes W0 .npy and its provenance)."""
    return _native.fit_files(options, progress)


def simulate_files(progress=None, **options) -> dict:
    """cascade simulate through the library's run plan, options as keywords (--steps -> steps=...,
    repeatable ones as lists): outputs streamed chunk by chunk with provenance, checkpoints."""
    distributed = bool(options.pop("distributed", False))
    if distributed:
        _guard_distributed()
    return _native.simulate_files(options, progress, distributed)


def tune_files(progress=None, **options) -> dict:
    """cascade tune through the library's run plan (writes output_params with provenance and the check)."""
    distributed = bool(options.pop("distributed", False))
    if distributed:
        _guard_distributed()
    return _native.tune_files(options, progress, distributed)


def resume_files(checkpoint, progress=None, distributed: bool = False) -> dict:
    """cascade resume CHECKPOINT: bit-identical to the uninterrupted run (distributed: over every rank)."""
    import os

    if distributed:
        _guard_distributed()
    return _native.resume_files(os.fspath(checkpoint), progress, distributed)


def load_networks(path) -> list:
    """A network file or a dataset directory, in the reference's order."""
    import os

    return _native.load_networks(os.fspath(path))


def generate(kind: str, n: int, count: int = 1, seed: int = 0, first: int = 0, **params) -> list:
    """Networks first .. first+count-1 of a seeded family (cascade generate KIND ...)."""
    from .datasets import _param_text

    return _native.generate(kind, n, [f"{k}={_param_text(v)}" for k, v in params.items()], seed, count, first)


def _to_neo(self, t_start=0.0):
    """The spikes as neo.SpikeTrain lists (needs neo): [replica][network][neuron], times in ms."""
    try:
        import neo
        import quantities as pq
    except ImportError as e:
        raise ImportError("Result.to_neo needs neo (pip install neo)") from e
    import numpy as np

    dt = self.summary["dt"]
    out = []
    for r in range(self.spikes.shape[0]):
        per_net = []
        for k in range(self.networks):
            x = self.network(k)[r]
            t_stop = t_start + x.shape[1] * dt
            trains = []
            for row in x:
                steps = np.repeat(np.arange(row.shape[0]), row.astype(np.int64))  # a count c gives c spikes
                trains.append(neo.SpikeTrain(t_start + steps * dt, units=pq.ms, t_start=t_start * pq.ms,
                                             t_stop=t_stop * pq.ms))
            per_net.append(trains)
        out.append(per_net)
    return out


Result.to_neo = _to_neo
