"""Same seed -> the same spikes, byte for byte, from Python and the command line
(which the C++ tests tie to the C++ API): every model, stimuli, batches, replicas."""
import numpy as np
import pytest

import cascade
from cascade import models, stimulus

# Each model at a network scale its defaults suit (cascade models NAME).
# (class, W0 std, parameters, stimulus strength)
CASES = {
    "bernoulli_glm": (models.BernoulliGLM, 5.0, {"theta": 4.5}, 2.0),
    "poisson_glm": (models.PoissonGLM, 0.1, {}, 0.1),
    "rectified_lnp": (models.RectifiedLNP, 0.1, {}, 0.01),
    "threshold_sam": (models.ThresholdSAM, 1.0, {}, 0.01),
    "rectified_sam": (models.RectifiedSAM, 1.0, {}, 0.05),
}


@pytest.mark.parametrize("name", CASES)
def test_model_simulate_equals_the_command_line(name, cli, weights, tmp_path):
    cls, std, params, strength = CASES[name]
    (w,) = weights(std=std)
    model = cls(rng=11, **params)
    model.add_stimulus(stimulus.RegularStimulus(strength=strength, period=25, tau=4, stop=900,
                                                stimulus_masks=np.arange(40) < 10))
    x = model.simulate(np.load(w), n_steps=1200, verbose=False, equilibration_steps=50)
    np.save(tmp_path / "mask.npy", (np.arange(40) < 10).astype(np.uint8))
    out = tmp_path / "cli.npy"
    cli("simulate", "--model", name, "--weights", w, "--steps", 1200, "--equilibration", 50, "--seed", 11,
        "--record-dtype", "int32", "--stimulus", f"regular:strength={strength!r},period=25,tau=4,start=0,stop=900",
        "--stimulus-mask", tmp_path / "mask.npy", "--output", out,
        *[a for k, v in params.items() for a in ("--param", f"{k}={v!r}")])
    expected = np.load(out)[0]
    assert x.dtype == np.int32 and x.shape == expected.shape == (40, 1200)
    assert x.sum() > 0
    assert x.tobytes() == expected.tobytes()


def test_batches_replicas_and_every_stimulus_kind(cli, weights, tmp_path):
    files = weights(n=30, std=5.0, seed=5, count=3)
    specs = ["sin:amplitude=1.5,period=40.0,duration=700", "poisson:strength=3.0,mean_interval=30,duration=20,tau=5"]
    sim = cascade.Simulator("bernoulli_glm", [np.load(f) for f in files], replicas=3, seed=9, stimuli=specs)
    res = sim.simulate(800, 20)
    out = tmp_path / "batch.npy"
    cli("simulate", "--weights", files[0].parent, "--replicas", 3, "--seed", 9, "--steps", 800,
        "--equilibration", 20, "--stimulus", specs[0], "--stimulus", specs[1], "--output", out, "--batch-size", 2)
    expected = np.load(out)
    assert res.spikes.shape == expected.shape == (3, 90, 800)
    assert res.spikes.tobytes() == expected.tobytes()
    # A second simulate of the model continues the stream: new noise, reproducibly.
    again = cascade.Simulator("bernoulli_glm", [np.load(f) for f in files], replicas=3, seed=9, stimuli=specs)
    assert again.simulate(800, 20).spikes.tobytes() == res.spikes.tobytes()


def test_successive_model_calls_are_fresh_but_reproducible(weights):
    (w,) = weights()
    a, b = models.BernoulliGLM(rng=4), models.BernoulliGLM(rng=4)
    first = a.simulate(np.load(w), 500, verbose=False).copy()
    second = a.simulate(np.load(w), 500, verbose=False)
    assert first.tobytes() != second.tobytes()
    assert b.simulate(np.load(w), 500, verbose=False).tobytes() == first.tobytes()


def test_generators_equal_cascade_generate(cli, tmp_path):
    gen = cascade.datasets.NormalGenerator(24, mean=0.0, std=2.0, sparsity=0.6, glorot=True, rng=7)
    nets = gen.generate(2) + gen.generate(1)  # successive calls continue the family
    cli("generate", "normal", "--n", 24, "--param", "mean=0", "--param", "std=2", "--param", "sparsity=0.6",
        "--param", "glorot=true", "--count", 3, "--seed", 7, "--out", tmp_path / "g")
    for k, net in enumerate(nets):
        assert np.array_equal(net.dense(), np.load(tmp_path / "g" / f"{k}.npy").astype(np.float64))
    ds = cascade.datasets.ConnectivityDataset(tmp_path / "g")
    assert len(ds) == 3 and np.array_equal(ds[2].dense(), nets[2].dense())
