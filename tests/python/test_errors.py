"""Bad arguments raise Python exceptions of the right type with the library's
one-line message; nothing crashes the interpreter."""
import numpy as np
import pytest

import cascade
from cascade import models, stimulus


def w(n=10, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, (n, n))
    np.fill_diagonal(a, 0)
    return a


@pytest.mark.parametrize("bad, exc, text", [
    (np.zeros((3, 4)), ValueError, "square"),
    (np.zeros(5), ValueError, "square"),
    (np.zeros((0, 0)), ValueError, None),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "numbers"),
    (np.array([[0.0, np.nan], [1.0, 0.0]]), ValueError, None),
    (np.array([[0.0, np.inf], [1.0, 0.0]]), ValueError, None),
    ([[0, 1], [1]], TypeError, None),
    (object(), TypeError, "expected a W0 array"),
    (3.5, TypeError, None),
])
def test_bad_weights(bad, exc, text):
    with pytest.raises(exc, match=text):
        models.BernoulliGLM().simulate(bad, 10, verbose=False)


def test_fortran_and_non_contiguous_arrays_are_accepted_as_their_values():
    a = w(12)
    m1, m2, m3 = (models.BernoulliGLM(rng=3) for _ in range(3))
    x = m1.simulate(a, 200, verbose=False)
    assert np.array_equal(m2.simulate(np.asfortranarray(a), 200, verbose=False), x)
    big = np.zeros((24, 24))
    big[::2, ::2] = a
    assert np.array_equal(m3.simulate(big[::2, ::2], 200, verbose=False), x)
    assert np.array_equal(models.BernoulliGLM(rng=3).simulate(a.astype(np.float32).astype(np.float64), 200,
                                                              verbose=False).shape, x.shape)


def test_parameters_and_options():
    with pytest.raises(ValueError, match="theta"):
        models.BernoulliGLM(theta=float("nan"))
    with pytest.raises(TypeError, match="unexpected keyword argument 'thetta'"):
        models.BernoulliGLM(thetta=1)
    with pytest.raises(TypeError, match="expected a number"):
        models.BernoulliGLM(theta="high")
    with pytest.raises(ValueError):
        models.PoissonGLM(T=0)
    m = models.BernoulliGLM()
    with pytest.raises(ValueError):
        m.coupling_window = 2.5  # an integer parameter
    assert m.coupling_window == 5  # unchanged after a refused value
    with pytest.raises(ValueError, match="n_steps"):
        m.simulate(w(), 0, verbose=False)
    with pytest.raises(ValueError, match="store_as_dtype"):
        m.simulate(w(), 10, verbose=False, store_as_dtype="complex64")
    with pytest.raises(TypeError, match="seed"):
        models.BernoulliGLM(rng="seed")
    with pytest.raises(ValueError, match="seed"):
        models.BernoulliGLM(rng=-1)
    with pytest.raises(ValueError, match="unknown model"):
        cascade.Model("bernouli")
    with pytest.raises(ValueError, match="backend"):
        cascade.Simulator("bernoulli_glm", w(), backend="tpu")


def test_stimuli():
    with pytest.raises(ValueError, match="0/1"):
        stimulus.RegularStimulus(1.0, 10, 2, 100, stimulus_masks=np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="period"):
        stimulus.RegularStimulus(1.0, 0, 2, 100, stimulus_masks=None)
    with pytest.raises(ValueError, match="never be on"):
        stimulus.RegularStimulus(1.0, 10, 2, stop=5, stimulus_masks=None, start=8)
    with pytest.raises(ValueError, match="amplitude"):
        stimulus.SinStimulus(-1.0, 10.0, 100, stimulus_masks=None)
    m = models.BernoulliGLM()
    m.add_stimulus(stimulus.RegularStimulus(1.0, 10, 2, 100, stimulus_masks=np.ones(7, bool)))
    with pytest.raises(ValueError, match="mask"):
        m.simulate(w(10), 10, verbose=False)  # a mask of 7 neurons for a network of 10
    with pytest.raises(TypeError, match="cascade.stimulus"):
        m.add_stimulus(lambda t: 0)


def test_files_and_memory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere"):
        cascade.load_networks(tmp_path / "nothere.npy")
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY junk")
    with pytest.raises(ValueError, match="junk.npy"):
        models.BernoulliGLM().simulate(tmp_path / "junk.npy", 10, verbose=False)
    sim = cascade.Simulator("bernoulli_glm", w(100))
    with pytest.raises(MemoryError, match="memory"):
        sim.simulate(2**40, 0)  # a raster of 100 TB is refused before anything is allocated
    with pytest.raises(ValueError, match="unknown option"):
        cascade.simulate_files(stepz=10)


def test_batches_of_data_like_objects_are_checked():
    class Data:  # a stand-in for torch_geometric.data.Data
        def __init__(self, edge_index, W0, num_nodes):
            self.edge_index, self.W0, self.num_nodes = edge_index, W0, num_nodes

    with pytest.raises(ValueError, match=r"\[2, E\]"):
        models.BernoulliGLM().simulate(Data(np.zeros((3, 4), np.int64), np.zeros(4), 5), 10, verbose=False)
    with pytest.raises(ValueError, match="one weight per edge"):
        models.BernoulliGLM().simulate(Data(np.array([[0, 1], [1, 0]]), np.zeros(3), 2), 10, verbose=False)
    with pytest.raises(TypeError, match="integers"):
        models.BernoulliGLM().simulate(Data(np.array([[0.0, 1.0], [1.0, 0.0]]), np.ones(2), 2), 10, verbose=False)
    with pytest.raises(ValueError):
        models.BernoulliGLM().simulate(Data(np.array([[0, 1], [1, 7]]), np.ones(2), 2), 10, verbose=False)


def test_distributed_outside_an_mpi_launcher_is_refused():
    # A plain process never initialises MPI (docs/distributed.md): distributed=True says how to launch.
    assert cascade.distributed() is None
    with pytest.raises(ValueError, match="mpirun -n K python|no MPI"):
        cascade.Simulator("bernoulli_glm", w(20), distributed=True)
    with pytest.raises(ValueError, match="mpirun -n K python|no MPI"):
        cascade.tune("bernoulli_glm", w(20), 10.0, ["theta"], epochs=1, distributed=True)
