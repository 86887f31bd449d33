"""cascade.fit: the same weights as the command line's cascade fit for the same
spikes (byte for byte), recovery of the network that made them, and clear
errors for spikes, candidates and models it cannot use."""
import json

import numpy as np
import pytest

import cascade


def test_fit_equals_the_command_line_and_recovers_the_truth(cli, weights, tmp_path):
    (w,) = weights(n=20, std=5.0, seed=4)
    spikes = tmp_path / "s.npy"
    cli("simulate", "--weights", w, "--steps", 60000, "--replicas", 2, "--seed", 3, "--output", spikes,
        "--output", tmp_path / "s.h5")
    cli("fit", "--spikes", spikes, "--truth", w, "--threads", 1, "--output", tmp_path / "fw.npy")
    by_cli = np.load(tmp_path / "fw.npy")
    side = json.loads((tmp_path / "fw.npy.json").read_text())
    got = cascade.fit(spikes, "bernoulli_glm", truth=w, threads=2)
    assert got["weights"].dtype == np.float64 and got["weights"].shape == (20, 20)
    assert np.array_equal(got["weights"], by_cli)                      # same spikes, same W0, any thread count
    assert got["log_likelihood"] == side["log_likelihood"]
    assert [h["objective"] for h in got["history"]] == [h["objective"] for h in side["history"]]
    assert got["recovery"] == side["recovery"] and got["baseline"] == side["baseline_cross_correlation"]
    assert got["recovery"]["weight_correlation"] > 0.75  # measured 0.84 (fixed seeds; strong, non-glorot weights)
    assert got["converged"] == 20 and got["edges"] == 20 * 19
    objective = [h["objective"] for h in got["history"]]
    assert all(b <= a for a, b in zip(objective, objective[1:]))      # every accepted step descends
    assert got["log_likelihood"] > got["null_log_likelihood"]
    # The same counts as an array, a bool array and a cascade.Result-shaped [N, T] slice.
    x = np.load(spikes)
    assert np.array_equal(cascade.fit(x, truth=w)["weights"], by_cli)
    assert np.array_equal(cascade.fit(x.astype(np.float32))["weights"], by_cli)
    assert np.array_equal(cascade.fit(tmp_path / "s.h5")["weights"], by_cli)   # SONATA: the same spikes


def test_candidates_screen_penalties_and_progress(tmp_path):
    W = cascade.generate("normal", 16, seed=2, mean=0, std=5, glorot=True)[0]
    sim = cascade.Simulator("bernoulli_glm", W, seed=1)
    x = sim.simulate(20000).spikes
    calls = []
    full = cascade.fit(x, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (16, 16) and len(calls) == 16
    only = cascade.fit(x, candidates=W)
    mask = W.dense() != 0
    assert np.all(only["weights"][~mask] == 0) and only["edges"] == int(mask.sum())
    five = cascade.fit(x, screen=5)
    assert five["edges"] == 16 * 5 and np.count_nonzero(five["weights"].any(axis=0)) <= 16
    sparse = cascade.fit(x, l1=1e-3)
    assert np.count_nonzero(sparse["weights"]) < np.count_nonzero(full["weights"])
    shrunk = cascade.fit(x, l2=1e-2)
    assert np.abs(shrunk["weights"]).sum() < np.abs(full["weights"]).sum()

    def broken(done, total):
        raise RuntimeError("the user's callback failed")
    with pytest.raises(ValueError, match="progress callback raised.*the user's callback failed"):
        cascade.fit(x, progress=broken)


@pytest.mark.parametrize("spikes, text", [
    (np.full((4, 100), 0.5), r"expected spike counts \(whole numbers 0 to 255\)"),
    (np.full((4, 100), -1), "expected spike counts"),
    (np.zeros(5), "expected \\[neurons, steps\\]"),
    (np.array([["a"]]), "dtype"),
])
def test_bad_spikes(spikes, text):
    with pytest.raises(ValueError, match=text):
        cascade.fit(spikes)


def test_models_sizes_and_options_it_cannot_use():
    x = np.zeros((6, 500), np.uint8)
    x[:, ::7] = 1
    with pytest.raises(ValueError, match="threshold_sam cannot be fitted"):
        cascade.fit(x, "threshold_sam")
    with pytest.raises(ValueError, match="candidate edges are for|a network of 5 neurons"):
        cascade.fit(x, candidates=np.ones((5, 5)) - np.eye(5))
    with pytest.raises(ValueError, match="self edge"):
        cascade.fit(x, candidates=np.ones((6, 6)))
    with pytest.raises(ValueError, match="screen and candidates"):
        cascade.fit(x, candidates=np.ones((6, 6)) - np.eye(6), screen=2)
    with pytest.raises(ValueError, match="l1 = -1 is invalid"):
        cascade.fit(x, l1=-1)
    with pytest.raises(ValueError, match="Bernoulli counts"):
        cascade.fit(x * 2)
    assert cascade._native.fit_refusal(cascade.Model("poisson_glm")) == ""
