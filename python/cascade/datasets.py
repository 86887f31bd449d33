"""Connectivity generators and datasets with the reference's names (spikeometric.datasets).

The networks are the library's generators' (Philox keyed by the seed and
the network's index): network k of a seed equals `cascade generate KIND
--seed S` file k, on every machine. Successive generate() calls on one
generator continue its family (the next indices), as the reference's
generator draws fresh matrices.
"""
from __future__ import annotations

import os

from . import _native
from ._common import seed_of
from ._data import NetworkData

__all__ = ["NormalGenerator", "UniformGenerator", "MexicanHatGenerator", "SparseGenerator", "ConnectivityDataset"]


def _param_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if isinstance(v, int) else repr(float(v))


class _Generator:
    _kind = ""

    def __init__(self, n_neurons, params: dict, rng=None):
        if isinstance(n_neurons, bool) or not isinstance(n_neurons, int) or n_neurons < 1:
            raise ValueError(f"n_neurons: expected an integer >= 1, got {n_neurons!r}")
        self.n_neurons = n_neurons
        self._params = [f"{k}={_param_text(v)}" for k, v in params.items() if v is not None]
        self.seed = seed_of(rng)
        self._next = 0
        _native.generate(self._kind, n_neurons, self._params, self.seed, 0)  # validates the parameters now

    def _networks(self, n: int) -> list:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"the number of networks: expected an integer >= 1, got {n!r}")
        nets = _native.generate(self._kind, self.n_neurons, self._params, self.seed, n, self._next)
        self._next += n
        return nets

    def generate(self, n: int) -> list:
        """n networks, each with edge_index, W0 and num_nodes as PyG's Data."""
        return [NetworkData(net) for net in self._networks(n)]

    def save(self, n: int, path):
        """n networks as dense W0 files 0.npy ... (n-1).npy (float32) under path."""
        path = os.fspath(path)
        os.makedirs(path, exist_ok=True)
        for k, net in enumerate(self._networks(n)):
            _native.save_dense_network(net, os.path.join(path, f"{k}.npy"))


class NormalGenerator(_Generator):
    """The reference's NormalConnectivityGenerator (Dale split of one normal draw)."""

    _kind = "normal"

    def __init__(self, n_neurons, mean, std, sparsity=0.5, glorot=False, rng=None):
        super().__init__(n_neurons, {"mean": mean, "std": std, "sparsity": sparsity, "glorot": bool(glorot)}, rng)


class UniformGenerator(_Generator):
    """The reference's UniformConnectivityGenerator."""

    _kind = "uniform"

    def __init__(self, n_neurons, low, high, sparsity, rng=None):
        super().__init__(n_neurons, {"low": low, "high": high, "sparsity": sparsity}, rng)


class MexicanHatGenerator(_Generator):
    """The reference's MexicanHatConnectivityGenerator (no randomness)."""

    _kind = "mexican_hat"

    def __init__(self, n_neurons, a, sigma_1, sigma_2):
        super().__init__(n_neurons, {"a": a, "sigma_1": sigma_1, "sigma_2": sigma_2}, None)


class SparseGenerator(_Generator):
    """Cascade's sparse generator for large networks (fixed in-degree or probability; docs/inputs.md)."""

    _kind = "sparse"

    def __init__(self, n_neurons, rng=None, **params):
        super().__init__(n_neurons, params, rng)


class ConnectivityDataset:
    """The networks of a directory in the reference's (lexicographic) order, as Data-like objects."""

    def __init__(self, root):
        self.root = os.fspath(root)
        self.data = [NetworkData(n) for n in _native.load_networks(self.root)]

    def __getitem__(self, idx):
        return self.data[idx]

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        return iter(self.data)
