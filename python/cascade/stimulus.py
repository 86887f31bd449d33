"""Stimuli with the reference's names, keywords and batching (spikeometric.stimulus).

Each stimulus is described to the library in its command-line form
(`regular:strength=...`), which the library parses and validates: one
parser and one set of messages for the command line, run files and Python.
Masks (numpy, torch, lists; bool or 0/1) say which neurons a stimulus
reaches; a list of masks (or a [networks, N] array) is split into batches of
`batch_size`, and, as the reference's, a batched stimulus moves to its next
batch after each simulate and tune.
"""
from __future__ import annotations

import math

import numpy as np

from . import _native
from ._data import to_numpy

__all__ = ["RegularStimulus", "PoissonStimulus", "SinStimulus", "LoadedStimulus", "BaseStimulus"]


def _number(v, what):
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{what}: expected a number, got {type(v).__name__}")
    return v


def _text(v) -> str:
    return str(v) if isinstance(v, int) else repr(float(v))  # repr: the shortest text that reads back exactly


def _masks_of(stimulus_masks, what: str) -> list:
    if stimulus_masks is None:
        return []
    if isinstance(stimulus_masks, (list, tuple)):
        items = list(stimulus_masks)
    else:
        a = to_numpy(stimulus_masks, what)
        items = [a] if a.ndim == 1 else list(a) if a.ndim == 2 else None
        if items is None:
            raise ValueError(f"{what}: expected a mask [N], masks [networks, N] or a list of masks; got shape {a.shape}")
    out = []
    for k, m in enumerate(items):
        a = to_numpy(m, f"{what}[{k}]")
        if a.ndim != 1:
            raise ValueError(f"{what}[{k}]: a mask is one value per neuron [N]; got shape {a.shape}")
        if a.dtype.kind not in "biuf" or not np.all((a == 0) | (a == 1)):
            raise ValueError(f"{what}[{k}]: a mask holds 0/1 or booleans")
        out.append(np.ascontiguousarray(a, dtype=np.uint8))
    return out


class BaseStimulus:
    """Batching of masks (the reference's BaseStimulus): batch k holds masks k*batch_size ...

    Subclasses say their `_kind` and `_spec_params()`.
    """

    _kind = ""
    _tunable: tuple = ()

    def __init__(self, stimulus_masks, batch_size: int = 1):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self._masks = _masks_of(stimulus_masks, f"{type(self).__name__}.stimulus_masks")
        if batch_size > max(len(self._masks), 1):
            raise ValueError(f"batch_size {batch_size} is larger than the number of masks ({len(self._masks)})")
        self.batch_size = batch_size
        self.n_batches = max(1, math.ceil(len(self._masks) / batch_size))
        self._idx = 0

    @property
    def stimulus_masks(self) -> list:
        """The masks of the current batch."""
        return self._masks[self._idx * self.batch_size:(self._idx + 1) * self.batch_size]

    def next_batch(self):
        if self.n_batches == 1:
            raise ValueError("There is only one batch.")
        self._idx = (self._idx + 1) % self.n_batches

    def set_batch(self, idx: int):
        if not 0 <= idx < self.n_batches:
            raise ValueError(f"batch index {idx} is out of range [0, {self.n_batches})")
        self._idx = idx

    def reset(self):
        self._idx = 0

    @property
    def current_batch(self) -> int:
        return self._idx

    def spec(self) -> str:
        """The command-line form (cascade simulate --stimulus ...)."""
        return self._kind + ":" + ",".join(f"{k}={_text(v)}" for k, v in self._spec_params())

    def _check(self):
        """The library's checks of the parameters, at construction (as the reference's)."""
        _native.Stimulus.parse(self.spec()).validate()

    def _native(self) -> _native.Stimulus:
        s = _native.Stimulus.parse(self.spec())
        if self.stimulus_masks:
            s.set_masks(self.stimulus_masks, f"{type(self).__name__}.stimulus_masks")
        return s

    def _set_tuned(self, name: str, value: float):
        setattr(self, name, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec()}, batch {self._idx + 1}/{self.n_batches})"


class RegularStimulus(BaseStimulus):
    """`strength` while t % period < tau and start <= t < stop (t in steps from the first recorded step)."""

    _kind = "regular"
    _tunable = ("strength",)

    def __init__(self, strength, period, tau, stop, stimulus_masks, batch_size: int = 1, start=0, dt=1.0):
        super().__init__(stimulus_masks, batch_size)
        self.strength = float(_number(strength, "strength"))
        self.period = _number(period, "period")
        self.tau = _number(tau, "tau")
        self.stop = None if stop is None else _number(stop, "stop")
        self.start = _number(start, "start")
        self.dt = float(_number(dt, "dt"))  # the reference keeps it and does not use it
        self._check()

    def _spec_params(self):
        p = [("strength", self.strength), ("period", self.period), ("tau", self.tau), ("start", self.start)]
        if self.stop is not None and not (isinstance(self.stop, float) and math.isinf(self.stop)):
            p.append(("stop", self.stop))
        return p


class PoissonStimulus(BaseStimulus):
    """`strength` for tau steps after each event of a Poisson process (mean interval in steps).

    The event plan is drawn from the simulation's seed (the model's rng), not
    from `rng`, so that the same seed gives the same spikes everywhere; `rng`
    is accepted for the reference's signature (docs/divergences.md).
    """

    _kind = "poisson"
    _tunable = ("strength",)

    def __init__(self, strength, mean_interval, duration, stimulus_masks, batch_size: int = 1, tau=1, dt=1, start=0,
                 rng=None):
        super().__init__(stimulus_masks, batch_size)
        self.strength = float(_number(strength, "strength"))
        self.mean_interval = _number(mean_interval, "mean_interval")
        self.duration = _number(duration, "duration")
        self.tau = _number(tau, "tau")
        self.start = _number(start, "start")
        self.dt = _number(dt, "dt")
        self._check()

    def _spec_params(self):
        return [("strength", self.strength), ("mean_interval", self.mean_interval), ("duration", self.duration),
                ("tau", self.tau), ("start", self.start)]


class SinStimulus(BaseStimulus):
    """amplitude * sin(2 pi / period * (t - start) * dt + phase) + baseline for start <= t < duration."""

    _kind = "sin"
    _tunable = ("amplitude", "period", "phase", "baseline")

    def __init__(self, amplitude, period, duration, stimulus_masks, batch_size: int = 1, phase=0.0, baseline=0,
                 start=0.0, dt=1.0):
        super().__init__(stimulus_masks, batch_size)
        self.amplitude = float(_number(amplitude, "amplitude"))
        self.period = float(_number(period, "period"))
        self.duration = _number(duration, "duration")
        self.phase = float(_number(phase, "phase"))
        self.baseline = float(_number(baseline, "baseline"))
        self.start = float(_number(start, "start"))
        self.dt = float(_number(dt, "dt"))
        self._check()

    def _spec_params(self):
        return [("amplitude", self.amplitude), ("period", self.period), ("duration", self.duration),
                ("phase", self.phase), ("baseline", self.baseline), ("start", self.start), ("dt", self.dt)]


class LoadedStimulus(BaseStimulus):
    """Values from a file (.npy [N, steps] or [N, steps, networks], or a directory) or an array [N, steps].

    Several networks' values are matched to the networks of a batch by their
    position in it; 0 past the end.
    """

    _kind = "loaded"

    def __init__(self, path, batch_size: int = 1):
        super().__init__(None, 1)
        self.batch_size = batch_size
        if isinstance(path, str) or hasattr(path, "__fspath__"):
            import os

            self.path, self.values = os.fspath(path), None
        else:
            a = to_numpy(path, "LoadedStimulus values", np.float64)
            if a.ndim != 2:
                raise ValueError(f"LoadedStimulus values must be [N, steps]; got shape {a.shape}")
            self.path, self.values = None, a

    def spec(self) -> str:
        return "loaded:" + (self.path if self.path is not None else "<array>")

    def _native(self) -> _native.Stimulus:
        if self.values is not None:
            return _native.Stimulus.loaded(self.values, "LoadedStimulus values")
        return _native.Stimulus.parse(self.spec())
