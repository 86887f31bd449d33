#!/usr/bin/env python3
"""Convert PyTorch .pt files (e.g. a spikeometric dataset directory) to the
NumPy forms Cascade reads.

    cascade-pt-to-npy SRC [DST] [--force] [--allow-pickle]   (installed beside cascade)
    python3 tools/pt_to_npy.py SRC [DST] [--force] [--allow-pickle]   (in the source tree)

SRC is a .pt file or a directory of them; DST (default: SRC's directory, or
SRC itself for a directory) receives, for each NAME.pt:
  - a tensor             -> NAME.npy (a dense W0 [N, N], a stimulus
                            [N, steps(, networks)] or a mask [N]); float16 and
                            bfloat16 become float32, other dtypes are kept;
  - a torch_geometric Data with edge_index and W0 (or weight / edge_attr)
                         -> NAME/ with edge_index.npy [2, E] (int64, rows pre,
                            post), weights.npy [E] and num_nodes.npy;
  - a dict of tensors    -> NAME/<key>.npy.
Files are loaded with torch.load(weights_only=True); Data objects need
--allow-pickle (only for files you trust: unpickling runs code).
Requires torch (and torch_geometric for Data objects).
"""
import argparse
import os
import sys


def fail(msg):
    print(f"pt_to_npy: error: {msg}", file=sys.stderr)
    sys.exit(1)


def to_numpy(t, where):
    import torch
    if not isinstance(t, torch.Tensor):
        fail(f"{where}: expected a tensor, got {type(t).__name__}")
    t = t.detach().cpu()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    if t.is_sparse:
        t = t.to_dense()
    return t.numpy()


def save(path, array, force):
    import numpy as np
    if os.path.exists(path) and not force:
        fail(f"{path} exists; pass --force to overwrite")
    tmp = path + ".tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def convert(src, dst_dir, force, allow_pickle):
    import numpy as np
    import torch
    name = os.path.splitext(os.path.basename(src))[0]
    try:
        obj = torch.load(src, map_location="cpu", weights_only=not allow_pickle)
    except Exception as e:  # noqa: BLE001 - report any loader failure plainly
        hint = "" if allow_pickle else " (a torch_geometric Data object needs --allow-pickle)"
        fail(f"{src}: cannot load: {e}{hint}")
    if isinstance(obj, torch.Tensor):
        out = os.path.join(dst_dir, name + ".npy")
        save(out, to_numpy(obj, src), force)
        return out
    if isinstance(obj, dict):
        out = os.path.join(dst_dir, name)
        os.makedirs(out, exist_ok=True)
        for key, value in obj.items():
            save(os.path.join(out, f"{key}.npy"), to_numpy(value, f"{src}[{key!r}]"), force)
        return out
    if hasattr(obj, "edge_index"):
        weights = None
        for key in ("W0", "weight", "edge_attr"):
            if getattr(obj, key, None) is not None:
                weights = getattr(obj, key)
                break
        if weights is None:
            fail(f"{src}: the Data object has edge_index but no W0, weight or edge_attr")
        ei = to_numpy(obj.edge_index, src + ".edge_index").astype(np.int64)
        w = to_numpy(weights, src + ".weights")
        if w.ndim != 1 or ei.shape != (2, w.shape[0]):
            fail(f"{src}: expected edge_index [2, E] and weights [E]; got {ei.shape} and {w.shape}"
                 " (per-edge filters are not supported here)")
        out = os.path.join(dst_dir, name)
        os.makedirs(out, exist_ok=True)
        save(os.path.join(out, "edge_index.npy"), ei, force)
        save(os.path.join(out, "weights.npy"), w, force)
        n = getattr(obj, "num_nodes", None)
        save(os.path.join(out, "num_nodes.npy"), np.array([int(n if n is not None else ei.max() + 1)], np.int64),
             force)
        return out
    fail(f"{src}: holds a {type(obj).__name__}; expected a tensor, a dict of tensors or a Data object")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst", nargs="?")
    ap.add_argument("--force", action="store_true", help="overwrite existing outputs")
    ap.add_argument("--allow-pickle", action="store_true", help="load Data objects (trusted files only)")
    a = ap.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        fail("PyTorch is required: pip install torch")
    if os.path.isdir(a.src):
        files = sorted(f for f in os.listdir(a.src) if f.endswith(".pt"))
        if not files:
            fail(f"{a.src}: no .pt files")
        dst = a.dst or a.src
        os.makedirs(dst, exist_ok=True)
        for f in files:
            print(convert(os.path.join(a.src, f), dst, a.force, a.allow_pickle))
    elif os.path.isfile(a.src):
        dst = a.dst or os.path.dirname(os.path.abspath(a.src))
        os.makedirs(dst, exist_ok=True)
        print(convert(a.src, dst, a.force, a.allow_pickle))
    else:
        fail(f"{a.src}: no such file or directory")


if __name__ == "__main__":
    main()
