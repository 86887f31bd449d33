"""What `data` may be, turned into the library's networks.

Accepted (duck typed: no import of torch or torch_geometric is needed):
a cascade.Network; a dense W0 [N, N] (numpy, torch, nested lists; rows
presynaptic); a scipy.sparse matrix; a PyG-like `Data` (edge_index [2, E],
W0 [E], num_nodes); a PyG-like `Batch` (the same with `ptr`, networks kept
apart); a path (a network file or a dataset directory); a list of any of
these. A list or a Batch is one batch: its networks get the instance ids
0, 1, ... in order (the ids key their random streams, as the command line's
dataset positions do).
"""
from __future__ import annotations

import os

import numpy as np

from . import _native


def to_numpy(x, what: str, dtype=None) -> np.ndarray:
    """An array argument as numpy: numpy, torch (any device) or nested lists."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what}: expected an array (numpy, torch or a list), got {type(x).__name__}") from e
    if a.dtype == object:
        raise TypeError(f"{what}: expected a numeric array, got {type(x).__name__} of mixed or ragged values")
    if dtype is not None:
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{what}: expected numbers, got dtype {a.dtype}")
        a = np.ascontiguousarray(a, dtype=dtype)
    return a


def _dense(w, label: str, instance_id: int) -> _native.Network:
    a = to_numpy(w, label, np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{label} must be a square 2-d array [N, N] (rows presynaptic); got shape {a.shape}")
    return _native.Network.from_dense(a, instance_id, label)


def _edges(n, edge_index, weight, label: str, instance_id: int) -> _native.Network:
    ei = to_numpy(edge_index, f"{label}.edge_index")
    if ei.dtype.kind not in "iu":
        raise TypeError(f"{label}.edge_index must hold integers, got dtype {ei.dtype}")
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise ValueError(f"{label}.edge_index must have shape [2, E]; got {ei.shape}")
    w = to_numpy(weight, f"{label}.W0", np.float64)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0].copy()
    if w.ndim != 1 or w.shape[0] != ei.shape[1]:
        raise ValueError(f"{label}.W0 must hold one weight per edge ({ei.shape[1]}); got shape {w.shape}")
    pre = np.ascontiguousarray(ei[0], dtype=np.int64)
    post = np.ascontiguousarray(ei[1], dtype=np.int64)
    return _native.Network.from_edges(int(n), pre, post, w, instance_id, label)


def _is_batch(x) -> bool:
    return hasattr(x, "edge_index") and hasattr(x, "W0") and hasattr(x, "ptr") and x.ptr is not None


def _split_batch(b, first_id: int) -> list:
    """A PyG Batch: networks k = nodes ptr[k] .. ptr[k+1]-1, edges within them."""
    ptr = to_numpy(b.ptr, "Batch.ptr").astype(np.int64)
    ei = to_numpy(b.edge_index, "Batch.edge_index").astype(np.int64)
    w = to_numpy(b.W0, "Batch.W0", np.float64)
    if ei.ndim != 2 or ei.shape[0] != 2 or w.shape[:1] != ei.shape[1:]:
        raise ValueError(f"Batch: edge_index {ei.shape} and W0 {w.shape} do not match ([2, E] and [E])")
    graph = np.searchsorted(ptr, ei[0], side="right") - 1
    if np.any(graph != np.searchsorted(ptr, ei[1], side="right") - 1):
        raise ValueError("Batch: an edge joins two networks of the batch")
    out = []
    for k in range(len(ptr) - 1):
        sel = graph == k
        out.append(_edges(ptr[k + 1] - ptr[k], ei[:, sel] - ptr[k], w[sel], f"Batch[{k}]", first_id + k))
    return out


def _is_network_like(x) -> bool:
    """An item of a list of networks (not a row of a dense W0)."""
    if isinstance(x, (NetworkData, _native.Network, str, os.PathLike)) or hasattr(x, "edge_index"):
        return True
    if hasattr(x, "tocoo"):
        return True
    shape = getattr(x, "shape", None)
    if shape is not None:
        return len(shape) == 2
    return isinstance(x, (list, tuple)) and bool(x) and isinstance(x[0], (list, tuple))  # nested lists [N][N]


def to_networks(data, first_id: int = 0) -> list:
    """The networks `data` stands for (see the module's docstring)."""
    if isinstance(data, NetworkData):
        data = data.network
    if isinstance(data, _native.Network):
        return [data if data.instance_id == first_id else data.with_instance_id(first_id)]
    if isinstance(data, (str, os.PathLike)):
        nets = _native.load_networks(os.fspath(data))
        return [n.with_instance_id(first_id + k) for k, n in enumerate(nets)] if first_id else nets
    if _is_batch(data):
        return _split_batch(data, first_id)
    if hasattr(data, "edge_index") and hasattr(data, "W0"):
        n = getattr(data, "num_nodes", None)
        if n is None:
            raise ValueError("Data: num_nodes is missing (the number of neurons)")
        return [_edges(n, data.edge_index, data.W0, "Data", first_id)]
    if hasattr(data, "tocoo") and hasattr(data, "shape"):  # scipy.sparse
        c = data.tocoo()
        if c.shape[0] != c.shape[1]:
            raise ValueError(f"a sparse W0 must be square [N, N]; got shape {c.shape}")
        return [_edges(c.shape[0], np.vstack([c.row, c.col]), c.data, "sparse W0", first_id)]
    if isinstance(data, (list, tuple)) and data and _is_network_like(data[0]):
        out = []
        for item in data:
            out.extend(to_networks(item, first_id + len(out)))
        return out
    if hasattr(data, "__len__") or hasattr(data, "__array__") or hasattr(data, "detach"):
        return [_dense(data, "W0", first_id)]
    raise TypeError(f"data: expected a W0 array, a Data/Batch, a scipy.sparse matrix, a path or a list of them; "
                    f"got {type(data).__name__}")


class NetworkData:
    """A generated network with the attributes of PyG's Data (edge_index, W0, num_nodes).

    Accepted wherever `data` is; `network` is the library's object.
    """

    def __init__(self, network: _native.Network):
        self.network = network
        pre, post, w = network.edges()
        self.edge_index = np.vstack([pre, post])
        self.W0 = w
        self.num_nodes = network.n_neurons

    def dense(self) -> np.ndarray:
        return self.network.dense()

    def __repr__(self) -> str:
        return f"NetworkData(edge_index=[2, {self.edge_index.shape[1]}], W0=[{self.W0.shape[0]}], num_nodes={self.num_nodes})"
