"""The spikeometric-shaped API and the native layer: data forms, stimuli batching,
parameters as attributes, save/load with the command line, tune, run plans,
zero-copy results."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cascade
from cascade import models, stimulus


class Data:
    """A stand-in for torch_geometric.data.Data (duck typed, as the package reads it)."""

    def __init__(self, edge_index, W0, num_nodes):
        self.edge_index, self.W0, self.num_nodes = edge_index, W0, num_nodes


class Batch(Data):
    """A stand-in for torch_geometric.data.Batch: the networks' nodes stacked, ptr their offsets."""

    def __init__(self, datas):
        offs = np.cumsum([0] + [d.num_nodes for d in datas])
        super().__init__(np.hstack([d.edge_index + o for d, o in zip(datas, offs)]),
                         np.concatenate([d.W0 for d in datas]), int(offs[-1]))
        self.ptr = offs


def nets(count=3, n=30, seed=2):
    return cascade.datasets.NormalGenerator(n, mean=0, std=5, rng=seed).generate(count)


def test_every_form_of_data_gives_the_same_spikes():
    ds = nets()
    expected = models.BernoulliGLM(rng=5).simulate(ds, 300, verbose=False)
    assert expected.shape == (90, 300)
    dense = [d.dense() for d in ds]
    as_data = [Data(d.edge_index, d.W0, d.num_nodes) for d in ds]
    for form in (dense, as_data, Batch(as_data), [d.network for d in ds], [d.tolist() for d in dense]):
        assert np.array_equal(models.BernoulliGLM(rng=5).simulate(form, 300, verbose=False), expected)
    # One network alone is instance 0, the first of the batch.
    assert np.array_equal(models.BernoulliGLM(rng=5).simulate(dense[0], 300, verbose=False),
                          cascade.Simulator("bernoulli_glm", [dense[0]], seed=5).simulate(300).spikes[0].astype(np.int32))


def test_scipy_sparse_when_installed():
    sp = pytest.importorskip("scipy.sparse")
    d = nets(1)[0]
    assert np.array_equal(models.BernoulliGLM(rng=1).simulate(sp.csr_matrix(d.dense()), 200, verbose=False),
                          models.BernoulliGLM(rng=1).simulate(d, 200, verbose=False))


def test_torch_and_pyg_when_installed():
    torch = pytest.importorskip("torch")
    d = nets(1)[0]
    x = models.BernoulliGLM(rng=torch.Generator().manual_seed(3)).simulate(
        Data(torch.from_numpy(d.edge_index), torch.from_numpy(d.W0), d.num_nodes), 200, verbose=False,
        store_as_dtype=torch.int)
    assert isinstance(x, torch.Tensor) and x.dtype == torch.int32
    assert np.array_equal(x.numpy(), models.BernoulliGLM(rng=3).simulate(d, 200, verbose=False))


def test_parameters_are_attributes_and_files_the_command_line_reads(cli, tmp_path):
    m = models.BernoulliGLM(4.2, rng=8)  # positional, in the reference's order
    assert m.theta == 4.2 and m.dt == 1.0 and m.coupling_window == 5
    m.alpha = 0.3
    assert m.state_dict()["alpha"] == 0.3
    m.save(tmp_path / "p.json")
    d = nets(1)[0]
    np.save(tmp_path / "w.npy", d.dense())
    cli("simulate", "--weights", tmp_path / "w.npy", "--params-file", tmp_path / "p.json", "--steps", 400,
        "--seed", 8, "--record-dtype", "int32", "--output", tmp_path / "o.npy")
    assert np.load(tmp_path / "o.npy")[0].tobytes() == m.simulate(d, 400, verbose=False).tobytes()
    m2 = models.BernoulliGLM().load(tmp_path / "p.json")
    assert m2.state_dict() == m.state_dict()
    with pytest.raises(ValueError, match="poisson_glm"):
        models.PoissonGLM().load(tmp_path / "p.json")


def test_tune_updates_in_place_as_the_command_line_tunes(cli, tmp_path):
    d = cascade.datasets.NormalGenerator(20, mean=0, std=5, glorot=True, rng=0).generate(1)[0]
    np.save(tmp_path / "w.npy", d.dense())
    m = models.BernoulliGLM(rng=5)
    history = m.tune(d, 10.0, tunable_parameters=["theta"], lr=0.05, n_steps=100, n_epochs=60, verbose=False)
    assert len(history) == 60 and history[0]["values"] == [5.0]
    cli("tune", "--weights", tmp_path / "w.npy", "--target-hz", 10, "--tune", "theta", "--epochs", 60,
        "--steps", 100, "--lr", 0.05, "--seed", 5, "--output-params", tmp_path / "t.json", check=False)
    tuned = json.loads((tmp_path / "t.json").read_text())
    assert m.theta == tuned["final"]["theta"] != 5.0  # the same Adam steps, bit for bit
    # The tuned rate: the check run says how close it came (a missed target warns).
    r = cascade.tune("bernoulli_glm", d, 10.0, ["theta"], lr=0.05, epochs=60, steps=100, seed=5)
    assert r["final"] == [m.theta] and r["check"]["rate_hz"] > 0


def test_batched_stimuli_move_to_the_next_batch_after_each_simulate():
    ds = nets(2)
    masks = [np.arange(30) < k for k in (5, 10, 15, 20)]
    stim = stimulus.RegularStimulus(3.0, 20, 5, 1000, stimulus_masks=masks, batch_size=2)
    assert stim.n_batches == 2
    m = models.BernoulliGLM(rng=2)
    m.add_stimulus(stim)
    m.simulate(ds, 200, verbose=False)
    assert stim.current_batch == 1
    second = m.simulate(ds, 200, verbose=False)
    assert stim.current_batch == 0
    s = cascade._native.Stimulus.parse("regular:strength=3.0,period=20,tau=5,stop=1000")
    s.set_masks([mk.astype(np.uint8) for mk in masks[2:]])
    sim = cascade.Simulator("bernoulli_glm", ds, seed=2)
    sim.set_stimuli([s])
    expected = sim.run(200, equilibration_steps=100, fresh_state=True, dtype="int32")  # the stream's second call
    assert expected.spikes.shape == (1, 60, 200)
    # The model's second call is the steps after its first: same as a simulator whose first step is there.
    sim2 = cascade._native.Simulator(cascade.Model("bernoulli_glm"), [n.network for n in ds], seed=2, first_step=300)
    sim2.set_stimuli([s])
    assert np.array_equal(sim2.simulate(200, 100, "int32").spikes[0], second)


def test_results_are_views_of_the_library_buffer():
    sim = cascade.Simulator("bernoulli_glm", nets(1), replicas=2, seed=1)
    res = sim.simulate(100, record_input=True, record_rate=True)
    a, b = res.spikes, res.spikes
    assert not a.flags.owndata and a.ctypes.data == b.ctypes.data  # the same memory, no copy
    assert np.shares_memory(np.from_dlpack(a), a)
    assert res.input.shape == res.rate.shape == a.shape and res.input.dtype == np.float32
    del res  # the arrays keep the buffer alive
    assert a.sum() == b.sum()


def test_a_large_raster_costs_its_size_once():
    """Peak RSS of a 128 MiB raster: well under twice its size (a copy would double it)."""
    code = textwrap.dedent("""
        import resource, numpy as np, cascade
        sim = cascade.Simulator("bernoulli_glm", np.zeros((512, 512)), seed=0)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        x = sim.simulate(262144, 0).spikes
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024, x.nbytes)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ)).stdout.split()
    grown, size = int(out[0]), int(out[1])
    assert size == 512 * 262144
    assert grown < 1.5 * size, f"peak RSS grew by {grown} bytes for a {size}-byte raster"


def test_run_plan_writes_the_command_lines_files(cli, tmp_path):
    d = nets(1)[0]
    np.save(tmp_path / "w.npy", d.dense())
    out = cascade.simulate_files(weights=str(tmp_path / "w.npy"), steps=500, seed=3, replicas=2,
                                 stimulus=["sin:amplitude=1.0,period=25.0,duration=400"],
                                 output=[str(tmp_path / "py.npy"), str(tmp_path / "py.h5")])
    assert out["written"] and not out["stopped"]
    cli("simulate", "--weights", tmp_path / "w.npy", "--steps", 500, "--seed", 3, "--replicas", 2,
        "--stimulus", "sin:amplitude=1.0,period=25.0,duration=400", "--output", tmp_path / "cli.npy")
    assert (tmp_path / "py.npy").read_bytes() == (tmp_path / "cli.npy").read_bytes()
    prov = json.loads((tmp_path / "py.npy.json").read_text())
    assert prov["seed"] == 3 and "rng_stream" in prov
    with pytest.raises(ValueError, match="exists"):
        cascade.simulate_files(weights=str(tmp_path / "w.npy"), steps=10, output=[str(tmp_path / "py.npy")])


def test_equilibrate_continues_from_the_given_spikes():
    d = nets(1)[0]
    m = models.BernoulliGLM(rng=1)
    x = m.equilibrate(d.edge_index, d.W0, np.ones(30, np.int32), n_steps=50)
    assert x.shape[0] == 30 and 1 <= x.shape[1] <= 50
    assert x.dtype == np.int32


def test_per_network_views_and_sonata_as_the_command_line_writes(cli, tmp_path):
    ds = nets(3, n=20)
    (tmp_path / "nets").mkdir()
    for k, d in enumerate(ds):
        np.save(tmp_path / "nets" / f"{k}.npy", d.dense())
    sim = cascade.Simulator("bernoulli_glm", ds, replicas=2, seed=4)
    res = sim.simulate(300, 10, neurons=[3, 5, 25, 41, 59])
    assert res.networks == 3
    assert res.network(0).shape == (2, 2, 300) and res.network(2).shape == (2, 2, 300)
    assert np.array_equal(res.network(1), res.spikes[:, 2:3])
    assert np.shares_memory(res.network(1), res.spikes)
    with pytest.raises(ValueError, match="out of range"):
        res.network(3)
    res.to_sonata(str(tmp_path / "py.h5"))
    cli("simulate", "--weights", tmp_path / "nets", "--replicas", 2, "--seed", 4, "--steps", 300, "--equilibration", 10,
        "--record-neurons", "3,5,25,41,59", "--output", tmp_path / "cli.h5")
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "py.h5") as a, h5py.File(tmp_path / "cli.h5") as b:
        assert sorted(a["spikes"]) == sorted(b["spikes"]) == [f"net{k}_r{r}" for k in range(3) for r in range(2)]
        for pop in a["spikes"]:
            for field in ("timestamps", "node_ids"):
                assert np.array_equal(a["spikes"][pop][field][()], b["spikes"][pop][field][()]), (pop, field)


def test_to_neo_when_installed():
    pytest.importorskip("neo")
    res = cascade.Simulator("bernoulli_glm", nets(1, n=20), seed=1).simulate(200)
    trains = res.to_neo()
    assert len(trains) == 1 and len(trains[0][0]) == 20
    assert sum(len(t) for t in trains[0][0]) == int(res.spikes.sum())


def test_tensor_like_inputs_and_generator_seeds_are_read_by_duck_typing():
    class Tensor:  # what the package uses of a torch tensor: detach().cpu().numpy()
        def __init__(self, a):
            self.a = a

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    class Generator:  # what it uses of a torch.Generator
        def initial_seed(self):
            return 6

    d = nets(1)[0]
    x = models.BernoulliGLM(rng=Generator()).simulate(Data(Tensor(d.edge_index), Tensor(d.W0), d.num_nodes), 200,
                                                      verbose=False)
    assert np.array_equal(x, models.BernoulliGLM(rng=6).simulate(d, 200, verbose=False))
    stim = stimulus.RegularStimulus(2.0, 10, 3, 100, stimulus_masks=[Tensor(np.arange(30) < 3)])
    assert stim.stimulus_masks[0].dtype == np.uint8 and stim.stimulus_masks[0].sum() == 3


def test_real_pyg_data_and_batches_when_installed():
    torch = pytest.importorskip("torch")
    pyg = pytest.importorskip("torch_geometric.data")
    ds = nets(3)
    datas = [pyg.Data(edge_index=torch.from_numpy(d.edge_index), W0=torch.from_numpy(d.W0), num_nodes=d.num_nodes)
             for d in ds]
    expected = models.BernoulliGLM(rng=2).simulate(ds, 300, verbose=False)
    for form in (datas, pyg.Batch.from_data_list(datas)):
        x = models.BernoulliGLM(rng=2).simulate(form, 300, verbose=False)
        assert isinstance(x, torch.Tensor) and x.shape == (90, 300)
        assert np.array_equal(x.numpy(), expected)
    loader = pytest.importorskip("torch_geometric.loader")
    batch = next(iter(loader.DataLoader(datas, batch_size=3)))
    assert np.array_equal(models.BernoulliGLM(rng=2).simulate(batch, 300, verbose=False).numpy(), expected)
