"""Shared fixtures: the command line to compare with (CASCADE_CLI, set by ctest
and .ci/run) and a scratch directory."""
import os
import subprocess

import numpy as np
import pytest


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("CASCADE_CLI")
    if not path or not os.path.exists(path):
        pytest.skip("CASCADE_CLI (the cascade command line to compare with) is not set")

    def run(*args, check=True):
        p = subprocess.run([path, *map(str, args), "--quiet"], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"cascade {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
        return p

    return run


@pytest.fixture
def weights(tmp_path):
    """Dense W0 files of the reference's recipe at a scale each model's defaults suit."""
    import cascade

    def make(n=40, std=5.0, seed=3, count=1):
        d = tmp_path / f"w_{n}_{std}_{seed}_{count}"
        cascade.datasets.NormalGenerator(n, mean=0, std=std, glorot=False, rng=seed).save(count, d)
        return [d / f"{k}.npy" for k in range(count)]

    return make


def npy(path):
    return np.load(path)
