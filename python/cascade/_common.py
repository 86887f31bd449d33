"""Small helpers shared by the Python modules: seeds, dtypes, progress."""
from __future__ import annotations

import sys

import numpy as np


def seed_of(rng, what: str = "rng") -> int:
    """A seed from the reference's `rng`: None (seed 0, as the command line's
    default --seed), an integer, or a torch.Generator (its initial seed)."""
    if rng is None:
        return 0
    if hasattr(rng, "initial_seed"):
        rng = rng.initial_seed()
    if hasattr(rng, "item"):
        rng = rng.item()
    if isinstance(rng, bool) or not isinstance(rng, int):
        raise TypeError(f"{what}: expected None, an integer seed or a torch.Generator; got {type(rng).__name__}")
    if not 0 <= rng < 2**64:
        raise ValueError(f"{what}: a seed is an integer in [0, 2^64); got {rng}")
    return rng


_DTYPES = {"uint8": "uint8", "int32": "int32", "int": "int32", "float32": "float32", "float": "float32",
           "bool": "bool"}


def dtype_name(d) -> str:
    """A recording dtype: numpy's, torch's or a name (uint8, int32, float32, bool)."""
    if d is None:
        return "int32"  # the reference's store_as_dtype=torch.int
    text = str(d).replace("torch.", "").replace("numpy.", "").replace("<class '", "").replace("'>", "")
    if text == "bool_":
        text = "bool"
    if text in _DTYPES:
        return _DTYPES[text]
    try:
        text = np.dtype(d).name
    except TypeError:
        pass
    if text in _DTYPES:
        return _DTYPES[text]
    raise ValueError(f"store_as_dtype: {d!r} is not supported; expected uint8, int32, float32 or bool")


def wants_torch(data) -> bool:
    """The reference returns torch tensors for torch / PyG inputs."""
    def is_torch(x):
        return type(x).__module__.startswith("torch")
    if is_torch(data):
        return True
    if isinstance(data, (list, tuple)) and data:
        return wants_torch(data[0])
    return any(is_torch(getattr(data, a, None)) for a in ("edge_index", "W0"))


class Progress:
    """tqdm when verbose and installed, else one plain line per 10 %; nothing when not verbose."""

    def __init__(self, verbose: bool, what: str):
        self.bar, self.verbose, self.what, self.last = None, verbose, what, -1
        if verbose:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=1, desc=what, colour="#3E5641")
            except ImportError:
                pass

    def __call__(self, done: int, total: int):
        if not self.verbose:
            return
        if self.bar is not None:
            self.bar.total = total
            self.bar.n = done
            self.bar.refresh()
            return
        tenth = done * 10 // max(total, 1)
        if tenth != self.last:
            self.last = tenth
            print(f"{self.what}: {done}/{total} ({tenth * 10} %)", file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()

    def callback(self):
        return self if self.verbose else None
