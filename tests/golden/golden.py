#!/usr/bin/env python3
"""Golden outputs: a fixed matrix of small runs through the command line, each
output reduced to a sha256, compared with tests/golden/hashes.txt.

    python golden.py CASCADE_CLI SCRATCH_DIR [--record] [--backend cpu|gpu]

What is hashed:
  - .npy outputs (spikes, g, phi(g), generated networks): the whole file, byte
    for byte, header included;
  - .json provenance sidecars and tuned-parameter files: the JSON value with
    its keys sorted and numbers compared by value (5 and 5.0 alike), without
    the keys that change from run to run or machine to machine (git_hash,
    started, wall_seconds, device);
  - SONATA .h5: every dataset's dtype, shape and bytes and every attribute
    (the provenance attribute as above), in name order; HDF5 files store
    creation times, so their bytes are not compared.

The hashes hold while the RNG stream version (docs/rng.md) is the one
recorded on the first line: a change that alters any output must either be a
bug or a deliberate stream change that bumps kRngStreamVersion and records
new hashes (--record) in the same commit. The test fails when the stream
version differs from the recorded one.

--ranks K runs the simulate cases distributed over K MPI ranks (mpiexec -n K;
docs/distributed.md) and compares all their outputs with the same hashes: a
distributed run writes the one-process run's bytes. Its provenance adds the
keys "ranks" and "mpi", checked here and left out of the hash. It exits 77
(skipped) without mpiexec or in a cascade built without MPI.

--backend gpu runs the simulate cases on the GPU and compares only their data
(spikes, g, phi(g)): the GPU engine promises the CPU's bits for those, not for
the provenance (backend, device) or tune (agreement to 1e-9). It exits 77
(skipped) where the CLI sees no GPU.
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HASHES = os.path.join(HERE, "hashes.txt")
VOLATILE = {"git_hash", "started", "wall_seconds", "device"}
# Sections added after the hashes were recorded (tune's final check, issue
# 15): new information beside the recorded one, which must stay identical.
VOLATILE |= {"check"}
# How many threads ran depends on the machine's cores since small batches
# run a network and replica per thread (issue 18's CPU part); the threads
# never change a spike, so that count is not part of the hash.
VOLATILE |= {"threads"}
# A distributed run's provenance says how many ranks ran (docs/distributed.md);
# it writes the same outputs as one process, so the rest must hash alike.
VOLATILE |= {"ranks", "mpi"}
SKIP = 77


# --- inputs written here (stdlib only) -------------------------------------

def write_npy(path, descr, shape, values):
    """A C-order .npy (version 1.0) of `values` (flat, in C order)."""
    fmt = {"<f8": "d", "<f4": "f", "|b1": "?", "|u1": "B", "<i8": "q"}[descr]
    shape_txt = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_txt)
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


class Lcg:
    """A small deterministic generator for input files (not Cascade's RNG)."""

    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (self.s >> 11) / float(1 << 53)


def write_inputs(d):
    r = Lcg(12345)
    # A mask reaching the first 15 of 40 neurons of every network.
    write_npy(f"{d}/mask40.npy", "|b1", [40], [i < 15 for i in range(40)])
    # Loaded stimulus values [40, 300] for every network.
    write_npy(f"{d}/loaded40.npy", "<f8", [40, 300], [0.02 * (r.next() - 0.3) for _ in range(40 * 300)])
    # A Matrix Market network: 30 neurons, about 20 % of pairs, no diagonal.
    entries = []
    for j in range(30):
        for i in range(30):
            if i != j and r.next() < 0.2:
                entries.append((j + 1, i + 1, round(4.0 * (r.next() - 0.5), 6)))
    with open(f"{d}/net30.mtx", "w") as f:
        f.write("%%MatrixMarket matrix coordinate real general\n")
        f.write("30 30 %d\n" % len(entries))
        for j, i, w in entries:
            f.write("%d %d %r\n" % (j, i, w))
    # A run file (docs/run-files.md) for simulate and tune.
    with open(f"{d}/run.toml", "w") as f:
        f.write(RUN_FILE)


RUN_FILE = """# golden: a run file with every section
[networks]
path = "na"
batch_size = 1

[model]
name = "rectified_lnp"
[model.params]
r = 0.004
T = 25
theta = 0.0005

[[stimulus]]
kind = "regular"
strength = 0.02
period = 35
tau = 6
mask = "mask40.npy"

[[stimulus]]
kind = "poisson"
strength = 0.01
mean_interval = 15
duration = 200

[run]
steps = 200
equilibration = 15
replicas = 2
replica_offset = 1
seed = 6
record_dtype = "uint8"

[output]
files = ["runfile.npy"]

[tune]
target_hz = 15
select = ["theta", "stimulus1.strength"]
epochs = 4
steps = 50
equilibration = 5
lr = 0.0005
output_params = "trun.json"
"""


# --- the matrix of runs ----------------------------------------------------

GEN = [
    ("gen_normal", ["generate", "normal", "--n", "40", "--count", "3", "--seed", "11", "--param", "mean=0",
                    "--param", "std=2", "--out", "na"], ["na/0.npy", "na/1.npy", "na/2.npy"]),
    ("gen_normal_glorot", ["generate", "normal", "--n", "30", "--count", "2", "--seed", "3", "--param", "mean=0",
                           "--param", "std=5", "--param", "glorot=true", "--dtype", "float64", "--out", "ng"],
     ["ng/0.npy", "ng/1.npy"]),
    ("gen_uniform", ["generate", "uniform", "--n", "24", "--count", "1", "--seed", "2", "--param", "low=-1",
                     "--param", "high=1", "--param", "sparsity=0.7", "--out", "nu"], ["nu/0.npy"]),
    ("gen_mexican_hat", ["generate", "mexican_hat", "--n", "24", "--param", "a=1.5", "--param", "sigma_1=2",
                         "--param", "sigma_2=4", "--out", "nm"], ["nm/0.npy"]),
    ("gen_sparse", ["generate", "sparse", "--n", "300", "--count", "2", "--seed", "5", "--param", "in_degree=20",
                    "--param", "std=0.5", "--out", "ns"],
     ["ns/0/edge_index.npy", "ns/0/weights.npy", "ns/0/num_nodes.npy", "ns/1/edge_index.npy", "ns/1/weights.npy"]),
]

COMMON = ["--threads", "2", "--quiet"]

SIM = [
    # BernoulliGLM, a dataset in batches of 2, a replica range, a masked regular stimulus, g and phi(g).
    ("bgl_batches", ["--model", "bernoulli_glm", "--weights", "na", "--batch-size", "2", "--replicas", "2",
                     "--replica-offset", "3", "--seed", "7", "--steps", "300", "--equilibration", "50",
                     "--stimulus", "regular:strength=3,period=50,tau=5,start=10", "--stimulus-mask", "mask40.npy",
                     "--record-input", "bgl_g.npy", "--record-rate", "bgl_p.npy", "--output", "bgl.npy"],
     ["bgl.npy", "bgl_g.npy", "bgl_p.npy", "bgl.npy.json"]),
    # The same run recorded in chunks of 37 steps: the same bytes (checked below).
    ("bgl_chunked", ["--model", "bernoulli_glm", "--weights", "na", "--batch-size", "2", "--replicas", "2",
                     "--replica-offset", "3", "--seed", "7", "--steps", "300", "--equilibration", "50",
                     "--stimulus", "regular:strength=3,period=50,tau=5,start=10", "--stimulus-mask", "mask40.npy",
                     "--record-input", "bglc_g.npy", "--record-rate", "bglc_p.npy", "--output", "bglc.npy",
                     "--chunk-steps", "37"],
     ["bglc.npy", "bglc_g.npy", "bglc_p.npy"]),
    # PoissonGLM with a Poisson stimulus, int32 counts, SONATA too.
    ("pglm_poisson", ["--model", "poisson_glm", "--weights", "ng", "--param", "r=0.002", "--param", "b=0.1",
                      "--param", "T=40", "--replicas", "2", "--seed", "3", "--steps", "400", "--equilibration", "30",
                      "--stimulus", "poisson:strength=0.5,mean_interval=20,duration=400,tau=3",
                      "--record-dtype", "int32", "--output", "pglm.npy", "--output", "pglm.h5"],
     ["pglm.npy", "pglm.npy.json", "pglm.h5"]),
    # RectifiedLNP on an edge-list dataset, a sin stimulus, float32, a neuron subset and a window.
    ("lnp_sparse", ["--model", "rectified_lnp", "--weights", "ns", "--param", "r=0.002", "--param", "T=30",
                    "--seed", "9", "--steps", "250", "--equilibration", "20",
                    "--stimulus", "sin:amplitude=0.01,period=40,duration=250,phase=0.3,baseline=0.002",
                    "--record-dtype", "float32", "--record-neurons", "0-49,290-330,599",
                    "--record-window", "20:200", "--record-rate", "lnp_p.npy", "--output", "lnp.npy"],
     ["lnp.npy", "lnp_p.npy", "lnp.npy.json"]),
    # ThresholdSAM with a loaded stimulus, bool records.
    ("tsam_loaded", ["--model", "threshold_sam", "--weights", "na", "--param", "theta=0.12", "--seed", "4",
                     "--steps", "300", "--equilibration", "40", "--stimulus", "loaded:loaded40.npy",
                     "--record-dtype", "bool", "--record-input", "tsam_g.npy", "--output", "tsam.npy"],
     ["tsam.npy", "tsam_g.npy", "tsam.npy.json"]),
    # RectifiedSAM on a Matrix Market network, two stimuli, three replicas.
    ("rsam_mtx", ["--model", "rectified_sam", "--weights", "net30.mtx", "--param", "r=0.3", "--replicas", "3",
                  "--seed", "2", "--steps", "300", "--equilibration", "25",
                  "--stimulus", "regular:strength=0.05,period=30,tau=4",
                  "--stimulus", "sin:amplitude=0.02,period=60,duration=300",
                  "--record-rate", "rsam_p.npy", "--output", "rsam.npy", "--output", "rsam.h5"],
     ["rsam.npy", "rsam_p.npy", "rsam.npy.json", "rsam.h5"]),
    # Networks generated in memory, uniform and mexican hat.
    # A run file: its options as flags (docs/run-files.md).
    ("lnp_run_file", ["run.toml"], ["runfile.npy", "runfile.npy.json"]),
    ("bgl_generated", ["--model", "bernoulli_glm", "--generate", "uniform:n=24,count=2,seed=8,low=-1,high=1,sparsity=0.6",
                       "--param", "theta=3", "--steps", "200", "--output", "bglu.npy"], ["bglu.npy", "bglu.npy.json"]),
]

TUNE = [
    ("tune_bgl", ["--model", "bernoulli_glm", "--weights", "na", "--target-hz", "30", "--tune", "theta,alpha,beta,r",
                  "--tune", "rel_ref_strength", "--stimulus", "regular:strength=2,period=40,tau=5",
                  "--tune", "stimulus0.strength", "--epochs", "6", "--steps", "60", "--lr", "0.05", "--seed", "5",
                  "--output-params", "tbgl.json"], "tbgl"),
    ("tune_pglm", ["--model", "poisson_glm", "--weights", "ng", "--param", "r=0.002", "--param", "b=0.1",
                   "--param", "T=40", "--target-hz", "40", "--tune", "model", "--epochs", "5", "--steps", "80",
                   "--lr", "0.01", "--replicas", "2", "--output-params", "tpglm.json"], "tpglm"),
    ("tune_lnp", ["--model", "rectified_lnp", "--weights", "na", "--param", "r=0.005", "--param", "T=50",
                  "--target-hz", "20", "--tune", "all", "--stimulus", "sin:amplitude=0.01,period=25,duration=100",
                  "--epochs", "5", "--steps", "70", "--lr", "0.001", "--seed", "2", "--output-params", "tlnp.json"],
     "tlnp"),
    ("tune_rsam", ["--model", "rectified_sam", "--weights", "net30.mtx", "--param", "r=0.3", "--target-hz", "25",
                   "--tune", "theta,tau,lambda_0,r,b", "--epochs", "5", "--steps", "90", "--lr", "0.002",
                   "--replicas", "2", "--output-params", "trsam.json"], "trsam"),
    ("tune_run_file", ["run.toml"], "trun"),
]


# --- hashing ---------------------------------------------------------------

def canonical_json(value):
    """Keys sorted, volatile keys dropped, numbers by value (5 and 5.0 alike)."""
    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
            return int(v)
        return v
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k not in VOLATILE}
    return json.dumps(norm(value), sort_keys=True, separators=(",", ":")).encode()


def hash_h5(path):
    import h5py  # the test environment's (scripts/install-deps.sh)
    h = hashlib.sha256()

    def attrs(obj):
        for k in sorted(obj.attrs.keys()):
            if k in VOLATILE:
                continue
            v = obj.attrs[k]
            if k == "provenance":
                v = v.decode() if isinstance(v, bytes) else str(v)
                h.update(k.encode() + canonical_json(json.loads(v)))
            else:
                # A string attribute by its content: the hashes were recorded
                # from fixed-length bytes; variable-length str holds the same text.
                if isinstance(v, str):
                    import numpy
                    v = numpy.bytes_(v.encode())
                h.update(k.encode() + repr(v).encode())

    def visit(name, obj):
        h.update(name.encode())
        attrs(obj)
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            h.update(str(obj.dtype).encode() + repr(obj.shape).encode())
            h.update(data.tobytes() if hasattr(data, "tobytes") else repr(data).encode())

    with h5py.File(path, "r") as f:
        attrs(f)
        f.visititems(visit)
    return h.hexdigest()


def hash_output(path):
    if path.endswith(".json"):
        with open(path) as f:
            return hashlib.sha256(canonical_json(json.load(f))).hexdigest()
    if path.endswith(".h5"):
        return hash_h5(path)
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def is_data(name):
    """Outputs the GPU engine must reproduce bit for bit."""
    return name.endswith(".npy") and not name.endswith(".npy.json")


# --- driver ----------------------------------------------------------------

def mpi_launcher(ranks):
    """mpiexec -n K, allowed to run as root and to oversubscribe the cores."""
    os.environ.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                       "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_mpi_yield_when_idle": "1"})
    return [shutil.which("mpiexec"), "-n", str(ranks)]


def run(cli, d, argv, launcher=()):
    p = subprocess.run(list(launcher) + [cli] + argv, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # tune's status 3: it ran and wrote its parameters, but its check missed
    # the target (these tunes are a few epochs long on purpose).
    if p.returncode != 0 and not (argv[0] == "tune" and p.returncode == 3):
        sys.exit("golden: `cascade %s` failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.strip()))


def stream_version(cli):
    out = subprocess.run([cli, "--version"], stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.split("rng stream ")[1].rstrip(")\n ")


def main():
    args = sys.argv[1:]
    record = "--record" in args
    backend = "cpu"
    if "--backend" in args:
        backend = args[args.index("--backend") + 1]
    cli, d = os.path.abspath(args[0]), args[1]
    ranks = int(args[args.index("--ranks") + 1]) if "--ranks" in args else 0
    launcher = ()
    if ranks:
        info = subprocess.run([cli, "info"], stdout=subprocess.PIPE, text=True).stdout
        if not shutil.which("mpiexec") or "MPI: built" not in info:
            print("golden: no mpiexec, or a cascade built without MPI; skipped")
            return SKIP
        launcher = mpi_launcher(ranks)
    if backend == "gpu":
        info = subprocess.run([cli, "info"], stdout=subprocess.PIPE, text=True).stdout
        if "GPU engine: built; --backend auto runs on GPU" not in info:
            print("golden: no GPU visible to the CLI; skipped")
            return SKIP
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    write_inputs(d)
    got = {}
    for name, argv, files in GEN:
        run(cli, d, argv + ["--quiet"])
        for f in files:
            got[f"{name}:{f}"] = hash_output(os.path.join(d, f))
    for name, argv, files in SIM:
        run(cli, d, ["simulate"] + argv + COMMON + ["--backend", backend], launcher)  # a run file comes first
        for f in files:
            if backend == "cpu" or is_data(f):
                got[f"{name}:{f}"] = hash_output(os.path.join(d, f))
            if ranks > 1 and f.endswith(".npy.json"):
                with open(os.path.join(d, f)) as fj:
                    prov = json.load(fj)
                if prov.get("ranks") != ranks or "MPI" not in prov.get("mpi", ""):
                    sys.exit(f"golden: {f} should record ranks = {ranks} and the MPI library, has "
                             f"{prov.get('ranks')!r}, {prov.get('mpi')!r}")
    if backend == "cpu" and not ranks:
        for name, argv, stem in TUNE:
            run(cli, d, ["tune"] + argv + COMMON + ["--backend", "cpu"])
            got[f"{name}:{stem}.json"] = hash_output(os.path.join(d, f"{stem}.json"))
            # The tuned parameters simulated (they must read back exactly).
            weights = argv[argv.index("--weights") + 1] if "--weights" in argv else "na"
            run(cli, d, ["simulate", "--weights", weights, "--params-file", f"{stem}.json", "--steps", "150",
                         "--seed", "1", "--output", f"{stem}_sim.npy", "--backend", "cpu"] + COMMON)
            got[f"{name}:{stem}_sim.npy"] = hash_output(os.path.join(d, f"{stem}_sim.npy"))

    # Recording in chunks changes no byte.
    for a, b in (("bgl.npy", "bglc.npy"), ("bgl_g.npy", "bglc_g.npy"), ("bgl_p.npy", "bglc_p.npy")):
        if got[f"bgl_batches:{a}"] != got[f"bgl_chunked:{b}"]:
            sys.exit(f"golden: {b} (chunks of 37 steps) differs from {a}")

    version = stream_version(cli)
    if record:
        with open(HASHES, "w") as f:
            f.write(f"rng_stream {version}\n")
            for k in sorted(got):
                f.write(f"{got[k]}  {k}\n")
        print(f"golden: recorded {len(got)} hashes for stream {version} in {HASHES}")
        return 0

    with open(HASHES) as f:
        lines = f.read().splitlines()
    recorded_version = lines[0].split(" ", 1)[1]
    want = dict(reversed(line.split("  ", 1)) for line in lines[1:] if line)
    if recorded_version != version:
        sys.exit(f"golden: the RNG stream version is {version} but the hashes were recorded for {recorded_version}: "
                 "record the new stream's hashes (golden.py --record) in the commit that changes it")
    bad = [k for k in got if k in want and want[k] != got[k]]
    whole = backend == "cpu" and not ranks  # the GPU and MPI variants run the simulate cases only
    missing = [k for k in got if k not in want] if whole else []
    absent = [k for k in want if k not in got and whole]
    for k in bad:
        print(f"golden: {k} changed: {got[k]} (recorded {want[k]})")
    for k in missing:
        print(f"golden: {k} has no recorded hash")
    for k in absent:
        print(f"golden: {k} was recorded but not produced")
    if bad or missing or absent:
        sys.exit(f"golden: {len(bad) + len(missing) + len(absent)} of {len(got)} outputs differ from "
                 f"tests/golden/hashes.txt (stream {version})")
    where = f"{backend}, {ranks} MPI ranks" if ranks else backend
    print(f"golden: {len(got)} outputs ({where}) equal the recorded hashes (stream {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
