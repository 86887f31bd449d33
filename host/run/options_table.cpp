// The table of options: every command-line flag, its run-file key, type,
// default and help, in one place (run/settings.hpp). The command line, the
// run-file reader and the help text are all made from it.
#include <algorithm>
#include <string>

#include "cascade/error.hpp"
#include "cascade/run/settings.hpp"

namespace cascade::run {

namespace {

constexpr unsigned kS = static_cast<unsigned>(Command::kSimulate);
constexpr unsigned kT = static_cast<unsigned>(Command::kTune);
constexpr unsigned kG = static_cast<unsigned>(Command::kGenerate);
constexpr unsigned kF = static_cast<unsigned>(Command::kFit);
constexpr std::int64_t k2to40 = std::int64_t{1} << 40;

using K = ValueKind;

// Help order. Rows of one name for several commands share the row when
// everything but the commands agrees; otherwise each command has its own.
const OptionSpec kTable[] = {
    // --- what to simulate --------------------------------------------------
    {"model", kS | kT, K::kText, false, "NAME", "bernoulli_glm", 0, 0, "model.name",
     "the model: bernoulli_glm, poisson_glm, rectified_lnp, threshold_sam,\n"
     "rectified_sam, or the reference's class names (BernoulliGLM, ...); tune:\n"
     "not threshold_sam, which has no rate. cascade models lists their parameters"},
    {"weights", kS | kT, K::kText, false, "PATH", nullptr, 0, 0, "networks.path",
     "a network (dense W0 .npy, Matrix Market .mtx, edge-list directory) or a\n"
     "dataset directory of them; tune: all of its networks form the objective"},
    {"generate", kS | kT, K::kText, false, "SPEC", nullptr, 0, 0, "networks.generate",
     "instead of --weights: seeded networks made in memory,\n"
     "KIND:n=N[,count=K][,seed=S][,NAME=VALUE...] with cascade generate's\n"
     "kinds and parameters"},
    {"batch-size", kS, K::kInteger, false, "B", nullptr, 1, std::int64_t{1} << 24, "networks.batch_size",
     "networks simulated together (default: all); the spikes do not depend on\n"
     "it, only memory and speed do"},
    {"stimulus", kS | kT | kF, K::kText, true, "SPEC", nullptr, 0, 0, "stimulus",
     "add a stimulus (repeatable; they add up):\n"
     "  regular:strength=S,period=P,tau=T[,start=0][,stop=T1]\n"
     "  poisson:strength=S,mean_interval=M,duration=D[,tau=1][,start=0]\n"
     "  sin:amplitude=A,period=P,duration=D[,phase=0][,baseline=0][,start=0][,dt=1]\n"
     "  loaded:PATH (.npy [N, steps] or [N, steps, networks], or a directory\n"
     "      of per-network [N_k, steps] files)\n"
     "times in steps from the first recorded step; off during equilibration"},
    {"stimulus-mask", kS | kT | kF, K::kText, true, "PATH", nullptr, 0, 0, "stimulus.mask",
     "neurons the matching --stimulus reaches (in order; 'all' or omitted:\n"
     "every neuron): .npy bool/uint8 [N] (every network) or [networks, N], or\n"
     "a directory of [N_k] files"},
    {"param", kS | kT | kF, K::kText, true, "NAME=VALUE", nullptr, 0, 0, "model.params",
     "set a model parameter (repeatable); tune: its starting value"},
    {"params-file", kS | kT | kF, K::kText, false, "FILE", nullptr, 0, 0, nullptr,
     "model, parameters and stimuli from cascade tune's --output-params\n"
     "(--model, --param and --stimulus override); tune: start from it"},
    // --- tune's objective ----------------------------------------------------
    {"target-hz", kT, K::kNumber, false, "F", nullptr, 0, 0, "tune.target_hz", "target rate in Hz (required)"},
    {"tune", kT, K::kText, true, "SEL", "all", 0, 0, "tune.select",
     "all, model, stimulus, or names separated by commas\n"
     "(theta,stimulus0.strength); repeatable"},
    {"epochs", kT, K::kInteger, false, "E", "100", 1, 100000000, "tune.epochs", "Adam steps"},
    // --- how long ------------------------------------------------------------
    {"steps", kS, K::kInteger, false, "N", nullptr, 0, k2to40, "run.steps",
     "recorded steps (required, >= 1; 0 with --save-state: equilibrate only)"},
    {"steps", kT, K::kInteger, false, "N", "100", 1, k2to40, "tune.steps", "recorded steps per epoch"},
    {"equilibration", kS, K::kInteger, false, "K", "100", 0, k2to40, "run.equilibration", "unrecorded steps first"},
    {"equilibration", kT, K::kInteger, false, "K", "10", 0, k2to40, "tune.equilibration",
     "unrecorded steps per epoch first"},
    {"lr", kT, K::kNumber, false, "LR", "0.1", 0, 0, "tune.lr",
     "Adam learning rate: an absolute step per epoch (the reference's meaning),\n"
     "whatever the parameter's scale"},
    {"check-steps", kT, K::kInteger, false, "N", "0", 0, k2to40, "tune.check_steps",
     "steps of the final check run with the tuned parameters (0: enough for\n"
     "about 10^4 spikes at the target, 10 epochs' worth at least, 10^5 at most)"},
    {"tolerance", kT, K::kNumber, false, "F", "0.1", 0, 0, "tune.tolerance",
     "the check passes within max(F x target, --tolerance-hz) (+ 3 standard\n"
     "errors) of the target; otherwise tune exits with status 3"},
    {"tolerance-hz", kT, K::kNumber, false, "HZ", "0.5", 0, 0, "tune.tolerance_hz",
     "the check's absolute tolerance floor in Hz (a 0 Hz target is checked too)"},
    {"replicas", kS | kT, K::kInteger, false, "R", "1", 1, 65536, "run.replicas", "independent replicas per network"},
    {"replica-offset", kS, K::kInteger, false, "K", "0", 0, 65535, "run.replica_offset", "index of the first replica"},
    {"seed", kS | kT, K::kUnsigned, false, "S", "0", 0, 0, "run.seed", "random seed"},
    {"threads", kS | kT, K::kInteger, false, "T", "0", 0, 4096, "run.threads", "CPU threads (0 = all cores)"},
    {"backend", kS | kT, K::kText, false, "B", "auto", 0, 0, "run.backend",
     "auto (the GPU when one is present), cpu, gpu"},
    {"gpu-strategy", kS | kT, K::kText, false, "S", "auto", 0, 0, "run.gpu_strategy",
     "auto, block, step, graph, pull, fused, cluster (docs/gpu.md)"},
    {"device", kS | kT, K::kInteger, false, "D", "0", 0, 1023, "run.device", "CUDA device ordinal"},
    // --- what to record --------------------------------------------------------
    {"record-dtype", kS, K::kText, false, "D", "uint8", 0, 0, "run.record_dtype",
     "uint8 (saturating), int32, float32, bool"},
    {"chunk-steps", kS, K::kInteger, false, "N", nullptr, 1, k2to40, "run.chunk_steps",
     "record N steps at a time (default: what fits in 256 MiB); outputs\n"
     "stream to disk chunk by chunk, spikes unchanged"},
    {"output", kS, K::kText, true, "FILE", nullptr, 0, 0, "output.files",
     ".npy: the dense raster (and FILE.npy.json, the provenance); .h5: SONATA\n"
     "spikes (one population per network and replica, provenance as\n"
     "attributes); repeatable; without it only the summary is printed"},
    {"record-neurons", kS, K::kText, false, "SEL", "all", 0, 0, nullptr,
     "record only these neurons: 0-99,200,... (indices over all networks, as\n"
     "in the output) or a .npy of indices"},
    {"record-window", kS, K::kText, false, "A:B", nullptr, 0, 0, nullptr, "record only recorded steps A to B-1"},
    {"record-input", kS, K::kText, false, "F.npy", nullptr, 0, 0, nullptr,
     "also record g of the recorded neuron-steps (float32)"},
    {"record-rate", kS, K::kText, false, "F.npy", nullptr, 0, 0, nullptr,
     "also record the expected count phi(g) (float32)"},
    {"checkpoint", kS, K::kText, false, "FILE", nullptr, 0, 0, nullptr,
     "save the complete state to FILE (atomically) every --checkpoint-every\n"
     "steps and when interrupted (SIGINT/SIGTERM); `cascade resume FILE`\n"
     "continues the run, bit-identical to an uninterrupted one"},
    {"checkpoint-every", kS, K::kInteger, false, "N", nullptr, 1, k2to40, nullptr,
     "steps between checkpoints (default: every chunk)"},
    {"save-state", kS, K::kText, false, "FILE", nullptr, 0, 0, "run.save_state",
     "save the engine state at the end (every network in one batch), for\n"
     "--load-state; with --steps 0 the run only equilibrates (the reference's\n"
     "equilibrate(), whose state later runs start from)"},
    {"load-state", kS, K::kText, false, "FILE", nullptr, 0, 0, "run.load_state",
     "start from a state --save-state wrote (the same networks, model and\n"
     "replicas) instead of a fresh random one; the equilibration still runs\n"
     "unless --equilibration 0"},
    {"output-params", kT, K::kText, false, "FILE", nullptr, 0, 0, "tune.output_params",
     "write the tuned parameters and the history (.json)"},
    // --- generate --------------------------------------------------------------
    {"n", kG, K::kInteger, false, "N", nullptr, 1, 2147483647, nullptr, "neurons per network (required)"},
    {"count", kG, K::kInteger, false, "K", "1", 1, std::int64_t{1} << 24, nullptr, "networks"},
    {"seed", kG, K::kUnsigned, false, "S", "0", 0, 0, nullptr, "random seed"},
    {"param", kG, K::kText, true, "NAME=VALUE", nullptr, 0, 0, nullptr, "a parameter of the kind (repeatable)"},
    {"out", kG, K::kText, false, "DIR", nullptr, 0, 0, nullptr, "output directory (created if missing; required)"},
    {"format", kG, K::kText, false, "F", nullptr, 0, 0, nullptr,
     "dense (K.npy, default except sparse) or edge-list (K/ with\n"
     "edge_index.npy, weights.npy, num_nodes.npy; default for sparse)"},
    {"dtype", kG, K::kText, false, "D", "float32", 0, 0, nullptr, "float32 or float64 weights"},
    {"threads", kG, K::kInteger, false, "T", "0", 0, 4096, nullptr, "CPU threads for the sparse generator (0 = all)"},
    // --- fit ------------------------------------------------------------------
    {"model", kF, K::kText, false, "NAME", "bernoulli_glm", 0, 0, nullptr,
     "the model that made the spikes: bernoulli_glm, poisson_glm, rectified_lnp\n"
     "or rectified_sam (threshold_sam has no likelihood); its parameters are\n"
     "held fixed (--param, --params-file)"},
    {"spikes", kF, K::kText, false, "PATH", nullptr, 0, 0, nullptr,
     "recorded counts (required): cascade simulate's .npy, [N, T] or\n"
     "[replicas, N, T], or its SONATA .h5 (one network); replicas are\n"
     "independent trials; every neuron recorded, from the stimulus's time 0"},
    {"candidates", kF, K::kText, false, "PATH", nullptr, 0, 0, nullptr,
     "the edges to fit: the nonzero pattern of a network file (dense .npy, .mtx,\n"
     "edge-list directory); default: every pair (--screen for large networks)"},
    {"screen", kF, K::kInteger, false, "K", nullptr, 1, 2147483647, nullptr,
     "instead of --candidates: for each neuron the K presynaptic neurons whose\n"
     "filtered counts correlate most with its spikes"},
    {"truth", kF, K::kText, false, "PATH", nullptr, 0, 0, nullptr,
     "the true W0 (any network file): report how well the fit and the\n"
     "cross-correlation baseline recover it"},
    {"l1", kF, K::kNumber, false, "L", "0", 0, 0, nullptr,
     "L1 penalty per observed neuron-step (sparse weights; OWL-QN)"},
    {"l2", kF, K::kNumber, false, "L", "0", 0, 0, nullptr,
     "L2 penalty (sum w^2 / 2) per observed neuron-step; a small one keeps\n"
     "weights finite for neurons that rarely spike"},
    {"max-iterations", kF, K::kInteger, false, "N", "500", 1, 100000000, nullptr, "optimiser iterations per neuron"},
    {"tolerance", kF, K::kNumber, false, "F", "1e-9", 0, 0, nullptr,
     "stop a neuron when its objective falls by less than F (relative)"},
    {"burn-in", kF, K::kInteger, false, "K", nullptr, 0, k2to40, nullptr,
     "steps of each trial left out of the likelihood (default: the model's\n"
     "settle time: its filter length; for activation traces until 1e-6)"},
    {"seed", kF, K::kUnsigned, false, "S", "0", 0, 0, nullptr,
     "the seed of the run that recorded the spikes (Poisson stimuli follow it)"},
    {"threads", kF, K::kInteger, false, "T", "0", 0, 4096, nullptr,
     "CPU threads (0 = all); the result does not depend on it"},
    {"output", kF, K::kText, false, "PATH", nullptr, 0, 0, nullptr,
     "the fitted W0 as float64 .npy [N, N], rows presynaptic (required; simulate\n"
     "--weights reads it), with its provenance and convergence log in PATH.json"},
    // --- every command ---------------------------------------------------------
    {"force", kS | kT | kG | kF, K::kFlag, false, nullptr, nullptr, 0, 0, "output.force",
     "overwrite an existing output"},
    {"quiet", kS | kT | kG | kF, K::kFlag, false, nullptr, nullptr, 0, 0, nullptr, "print nothing but errors"},
    {"verbose", kS | kT | kF, K::kFlag, false, nullptr, nullptr, 0, 0, nullptr,
     "also print debug lines (batches, chunks, every epoch) on stderr"},
    {"help", kS | kT | kG | kF, K::kFlag, false, nullptr, nullptr, 0, 0, nullptr, "print this text"},
};

const char* usage_of(Command c) {
  switch (c) {
    case Command::kSimulate:
      return "usage: cascade simulate --weights PATH --steps N [options]\n"
             "       cascade simulate RUN.toml [options]   (a run file; options override it)\n"
             "\n"
             "Simulates a network or a dataset and writes the spike counts as .npy with\n"
             "shape [replicas, total neurons, steps] (networks concatenated in dataset\n"
             "order). A network is a dense W0 .npy (rows presynaptic), a Matrix Market\n"
             ".mtx file or an edge-list directory (edge_index.npy [2, E] rows pre, post;\n"
             "weights.npy [E]; optional num_nodes.npy); a dataset is a directory of them,\n"
             "in lexicographic name order (0, 1, 10, ..., 2).\n";
    case Command::kTune:
      return "usage: cascade tune --weights PATH --target-hz F [options]\n"
             "       cascade tune RUN.toml [options]   (a run file with a [tune] section)\n"
             "\n"
             "Tunes parameters so that the expected firing rate mean phi(g) * 1000 / dt\n"
             "over all neurons, networks and replicas matches F Hz: each epoch draws a\n"
             "fresh initial state, equilibrates (stimulus off), simulates --steps steps,\n"
             "and takes one Adam step on (F - rate)^2 with a hand-written gradient\n"
             "(spikes held fixed). The same seed gives the same result on any thread count.\n";
    case Command::kFit:
      return "usage: cascade fit --spikes S.npy --model M --output W_fit.npy [options]\n"
             "\n"
             "Fits W0 back from recorded spikes by maximum likelihood: with the model's\n"
             "other parameters fixed, each neuron's log-likelihood of its counts under\n"
             "phi(g) (Bernoulli or Poisson, as the model emits) is maximised over the\n"
             "weights onto it from the candidate edges (OWL-QN; optional L1/L2). The\n"
             "result does not depend on the thread count. docs/inference.md.\n";
    case Command::kGenerate:
      return "usage: cascade generate KIND --n N --out DIR [--param NAME=VALUE ...] [options]\n"
             "\n"
             "Generates K seeded networks: network k is the same for a given seed on any\n"
             "machine (counter-based random numbers). Weights are float32-exact.\n"
             "\n"
             "kinds and their parameters (--param NAME=VALUE):\n"
             "  normal       mean, std (required); sparsity = 0.5 (in [0.5, 1]); glorot = false\n"
             "               (the reference's NormalGenerator: Dale split of an (n/2) x n draw;\n"
             "               n even)\n"
             "  uniform      low, high, sparsity (required) (the reference's UniformGenerator)\n"
             "  mexican_hat  a, sigma_1, sigma_2 (required); no randomness\n"
             "  sparse       in_degree (fixed in-degree) or p (fixed probability), required;\n"
             "               weights = normal | uniform; mean = 0, std = 1; low = 0, high = 1;\n"
             "               glorot = false; dale = true; excitatory_fraction = 0.5;\n"
             "               inhibitory_scale = 1. Never builds an N x N array.\n";
  }
  return "";
}

/// "run.steps" as a reader finds it: "[run] steps", "[[stimulus]] mask", "[model.params]".
std::string run_key_text(const std::string& key) {
  const std::size_t dot = key.find('.');
  if (dot == std::string::npos) return "[[" + key + "]]";
  const std::string section = key.substr(0, dot), name = key.substr(dot + 1);
  if (section == "stimulus") return "[[stimulus]] " + name;
  if (name == "params" || name == "generate") return "[" + key + "]";
  return "[" + section + "] " + name;
}

}  // namespace

const char* command_name(Command c) {
  switch (c) {
    case Command::kSimulate: return "simulate";
    case Command::kTune: return "tune";
    case Command::kGenerate: return "generate";
    case Command::kFit: return "fit";
  }
  return "?";
}

std::vector<const OptionSpec*> options_of(Command command) {
  std::vector<const OptionSpec*> out;
  for (const OptionSpec& o : kTable)
    if (o.commands & static_cast<unsigned>(command)) out.push_back(&o);
  return out;
}

const OptionSpec* find_option(Command command, std::string_view name) {
  for (const OptionSpec& o : kTable)
    if ((o.commands & static_cast<unsigned>(command)) && name == o.name) return &o;
  return nullptr;
}

std::string help_text(Command command) {
  constexpr std::size_t kColumn = 24;
  std::string out = usage_of(command);
  out += "\noptions:\n";
  for (const OptionSpec* o : options_of(command)) {
    std::string head = std::string("  --") + o->name;
    if (o->kind != ValueKind::kFlag) head += std::string(" ") + o->value_name;
    std::string help = o->help;
    if (o->default_text) help += std::string(" (default ") + o->default_text + ")";
    const bool run_files = command == Command::kSimulate || command == Command::kTune;
    if (o->run_key && run_files) help += "\nrun file: " + run_key_text(o->run_key);
    std::size_t pos = 0;
    bool first = true;
    while (pos <= help.size()) {
      const std::size_t nl = std::min(help.find('\n', pos), help.size());
      const std::string line = help.substr(pos, nl - pos);
      if (first) {
        out += head.size() + 2 <= kColumn ? head + std::string(kColumn - head.size(), ' ') + line + "\n"
                                          : head + "\n" + std::string(kColumn, ' ') + line + "\n";
        first = false;
      } else {
        out += std::string(kColumn, ' ') + line + "\n";
      }
      pos = nl + 1;
    }
  }
  if (command == Command::kSimulate || command == Command::kTune) {
    out += "\nrun file: the option's key in a TOML run file (docs/run-files.md).\n";
    out += "distributed: mpirun -n K cascade " + std::string(command_name(command)) +
           " ... splits the run over K MPI ranks, with the\n"
           "one-process run's results (docs/distributed.md).\n";
  }
  return out;
}

}  // namespace cascade::run
