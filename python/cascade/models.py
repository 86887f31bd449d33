"""The models with the reference's names, keywords and methods (spikeometric.models).

A model holds the library's model (its parameters, validated by the
library), a seed (`rng`: an integer or a torch.Generator's initial seed)
and its stream position: each simulate or tune draws the steps after the
previous call's, so successive calls see fresh noise, reproducibly, and a
model's first call gives the spikes of the command line with the same
--seed.
"""
from __future__ import annotations

import json
import os
import warnings

import numpy as np

from . import _native
from ._common import Progress, dtype_name, seed_of, wants_torch
from ._data import to_networks, to_numpy

__all__ = ["BernoulliGLM", "PoissonGLM", "RectifiedLNP", "RectifiedSAM", "ThresholdSAM", "TuneWarning"]


class TuneWarning(UserWarning):
    """A tune whose check run with the tuned parameters missed the target."""


def _as_tensor_like(a: np.ndarray, torch_out: bool):
    if torch_out:
        try:
            import torch

            return torch.from_numpy(a)  # shares the memory
        except ImportError:
            pass
    return a


class _Model:
    _name = ""
    _signature: tuple = ()  # the reference's constructor order

    def __init__(self, *args, rng=None, backend: str = "auto", threads: int = 0, **kwargs):
        object.__setattr__(self, "_model", _native.Model(self._name))
        if len(args) > len(self._signature):
            raise TypeError(f"{type(self).__name__}() takes at most {len(self._signature)} positional arguments")
        given = dict(zip(self._signature, args))
        for k, v in kwargs.items():
            if k in given:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument '{k}'")
            given[k] = v
        names = self._model.params()
        for k, v in given.items():
            if k not in names:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument '{k}' "
                                f"(its parameters: {', '.join(names)})")
            if v is not None:
                self._model.set(k, _scalar(v, k))
        self._model.validate()
        object.__setattr__(self, "seed", seed_of(rng))
        object.__setattr__(self, "backend", backend)
        object.__setattr__(self, "threads", threads)
        object.__setattr__(self, "stimulus", None)
        object.__setattr__(self, "_step", 0)

    # Parameters read and set as attributes, as the reference's.
    def __getattr__(self, name):
        params = object.__getattribute__(self, "_model").params()
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name in self._model.params():
            trial = self._model.copy()
            trial.set(name, _scalar(value, name))
            trial.validate()
            object.__setattr__(self, "_model", trial)
        else:
            object.__setattr__(self, name, value)

    @property
    def tunable_parameters(self) -> list:
        names = list(self._model.tunable())
        if self.stimulus is not None:
            names += ["stimulus." + p for p in self.stimulus._tunable]
        return names

    def add_stimulus(self, stimulus):
        """The stimulus (cascade.stimulus.*) added to every simulate and tune."""
        if not hasattr(stimulus, "_native"):
            raise TypeError("add_stimulus: expected a cascade.stimulus object (RegularStimulus, PoissonStimulus, "
                            f"SinStimulus, LoadedStimulus); got {type(stimulus).__name__}")
        object.__setattr__(self, "stimulus", stimulus)

    def _stimuli(self) -> list:
        return [self.stimulus._native()] if self.stimulus is not None else []

    def _advance_batch(self):
        if self.stimulus is not None and self.stimulus.n_batches > 1:
            self.stimulus.next_batch()

    def simulate(self, data, n_steps: int, verbose: bool = True, equilibration_steps: int = 100,
                 store_as_dtype=None):
        """Spikes [neurons, n_steps] (a batch's neurons stacked in order), after
        equilibration_steps unrecorded steps from a random initial state."""
        _count(n_steps, "n_steps", 1)
        _count(equilibration_steps, "equilibration_steps", 0)
        nets = to_networks(data)
        sim = _native.Simulator(self._model, nets, seed=self.seed, first_step=self._step, backend=self.backend,
                                threads=self.threads)
        sim.set_stimuli(self._stimuli())
        bar = Progress(verbose, "Simulating")
        try:
            res = sim.simulate(n_steps, equilibration_steps, dtype_name(store_as_dtype), progress=bar.callback())
        finally:
            bar.close()
        object.__setattr__(self, "_step", self._step + equilibration_steps + n_steps)
        self._advance_batch()
        return _as_tensor_like(res.spikes[0], wants_torch(data))

    def tune(self, data, firing_rate, tunable_parameters="all", lr: float = 0.1, n_steps: int = 100,
             n_epochs: int = 100, verbose: bool = True, check: bool = True):
        """Adam on the chosen parameters towards `firing_rate` (Hz), in place, as
        the reference's; returns the epoch history. Ends with a check run with
        the tuned parameters (TuneWarning when it misses the target)."""
        nets = to_networks(data)
        selection = _selection(tunable_parameters)
        bar = Progress(verbose, "Tuning")
        cb = bar.callback()
        try:
            r = _native.tune(self._model, nets, self._stimuli(), float(_scalar(firing_rate, "firing_rate")),
                             selection, lr=float(lr), epochs=n_epochs, steps=n_steps, equilibration=10,
                             seed=self.seed, first_step=self._step, backend=self.backend, threads=self.threads,
                             check=check, progress=(lambda e: cb(e["epoch"] + 1, e["epochs"])) if cb else None)
        finally:
            bar.close()
        object.__setattr__(self, "_model", r["model"])
        if self.stimulus is not None and r["stimuli"]:
            for name, value in _native.stimulus_params(r["stimuli"]).items():
                if name.startswith("stimulus0.") and name[10:] in self.stimulus._tunable:
                    self.stimulus._set_tuned(name[10:], value)
        used = n_epochs * (10 + n_steps) + (r["check"]["steps"] + r["check"]["equilibration"] if check else 0)
        object.__setattr__(self, "_step", self._step + used)
        self._advance_batch()
        if r["advice"]:
            warnings.warn(r["advice"], TuneWarning, stacklevel=2)
        elif check and not r["check"]["within_tolerance"]:
            warnings.warn(r["check"]["advice"], TuneWarning, stacklevel=2)
        return r["history"]

    def equilibrate(self, edge_index, W, initial_state, n_steps: int = 100, store_as_dtype=None):
        """n_steps unrecorded steps from `initial_state` (spikes [N]) with stimuli
        off; returns the last steps' spikes [N, min(n_steps, history)] as the reference's."""
        _count(n_steps, "n_steps", 1)
        ei = to_numpy(edge_index, "edge_index")
        x0 = to_numpy(initial_state, "initial_state")
        n = x0.shape[0] if x0.ndim == 1 else -1
        if n < 0:
            raise ValueError(f"initial_state must be one value per neuron [N]; got shape {x0.shape}")
        w = to_numpy(W, "W", np.float64)
        w = w[:, -1] if w.ndim == 2 else w  # a [E, T] filter: its last column is W0 in the reference's layout
        from ._data import _edges

        net = _edges(n, ei, w, "equilibrate", 0)
        sim = _native.Simulator(self._model, [net], seed=self.seed, first_step=self._step, backend=self.backend,
                                threads=self.threads)
        counts = np.ascontiguousarray(np.clip(x0, 0, 255), dtype=np.uint8)
        sim.set_initial_spikes(counts)
        history = self._history_length()
        keep = min(history, n_steps)
        res = sim.run(n_steps, fresh_state=False, stimulus=False, dtype=dtype_name(store_as_dtype),
                      window_begin=n_steps - keep)
        object.__setattr__(self, "_step", self._step + n_steps)
        return _as_tensor_like(res.spikes[0], wants_torch(edge_index))

    def _history_length(self) -> int:
        p = self._model.params()
        for name in ("coupling_window", "T"):
            if name in p:
                return max(int(p[name]), p.get("abs_ref_scale", 0) + p.get("rel_ref_scale", 0), 1)
        return 1

    def state_dict(self) -> dict:
        """Every parameter (the stimulus's as stimulus.NAME)."""
        d = dict(self._model.params())
        if self.stimulus is not None:
            for p in self.stimulus._tunable:
                d["stimulus." + p] = getattr(self.stimulus, p)
        return d

    def save(self, path):
        """A parameters file: {"model", "params"} (cascade simulate --params-file reads it)."""
        with open(os.fspath(path), "w") as f:
            json.dump({"model": self._name, "params": self._model.params()}, f, indent=2)

    def load(self, path):
        """Parameters from a file of save() or of cascade tune --output-params."""
        with open(os.fspath(path)) as f:
            try:
                d = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: not a parameters file ({e})") from None
        if not isinstance(d, dict) or not isinstance(d.get("params"), dict):
            raise ValueError(f'{path}: expected {{"model": ..., "params": {{...}}}} (a file of save() or cascade tune)')
        if d.get("model") not in (self._name, type(self).__name__):
            raise ValueError(f"{path}: holds parameters of the model {d.get('model')!r}, not {self._name}")
        trial = self._model.copy()
        for k, v in d["params"].items():
            trial.set(k, _scalar(v, f"{path}: params.{k}"))
        trial.validate()
        object.__setattr__(self, "_model", trial)
        return self

    @property
    def native(self) -> _native.Model:
        """The library's model (for cascade.Simulator and cascade.tune)."""
        return self._model

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._model.params().items())
        return f"{type(self).__name__}({params}, rng={self.seed})"


def _scalar(v, what):
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{what}: expected a number, got {type(v).__name__}")
    return float(v)


def _count(v, what, low):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{what}: expected an integer >= {low}, got {v!r}")


def _selection(tunable_parameters) -> list:
    if isinstance(tunable_parameters, str):
        names = [tunable_parameters]
    else:
        names = list(tunable_parameters)
    if not names:
        raise ValueError("No parameters to tune")
    # The reference names the stimulus's parameters stimulus.NAME; the library stimulus0.NAME.
    return [("stimulus0." + n[9:]) if n.startswith("stimulus.") else n for n in names]


class BernoulliGLM(_Model):
    """p = sigmoid(g - theta) dt; the reference's BernoulliGLM."""

    _name = "bernoulli_glm"
    _signature = ("theta", "dt", "coupling_window", "alpha", "abs_ref_scale", "abs_ref_strength", "rel_ref_scale",
                  "rel_ref_strength", "beta", "r")


class PoissonGLM(_Model):
    """count ~ Poisson(exp(beta g) / alpha dt); the reference's PoissonGLM."""

    _name = "poisson_glm"
    _signature = ("alpha", "beta", "T", "tau", "dt", "r", "b")


class RectifiedLNP(_Model):
    """count ~ Poisson(lambda_0 relu(g - theta) dt); the reference's RectifiedLNP."""

    _name = "rectified_lnp"
    _signature = ("lambda_0", "theta", "T", "tau", "dt", "r", "b")


class RectifiedSAM(_Model):
    """count ~ Poisson(lambda_0 relu(g - theta) dt), g from synaptic activations; the reference's RectifiedSAM."""

    _name = "rectified_sam"
    _signature = ("lambda_0", "theta", "tau", "dt", "r", "b")


class ThresholdSAM(_Model):
    """spike where g > theta, g from synaptic activations and noisy background; the reference's ThresholdSAM."""

    _name = "threshold_sam"
    _signature = ("r", "b", "tau", "dt", "sigma", "rho", "theta")
