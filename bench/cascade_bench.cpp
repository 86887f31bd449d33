// cascade-bench: named, reproducible benchmark cases (bench/README.md).
// Per case and backend: warm-up, repeated timed runs, median and spread of
// the time per step, rates, memory; a table on stdout and JSON with --json.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cascade/cascade.hpp"
#include "cascade/engine/gpu_engine.hpp"
#include "cascade/extend/partition.hpp"
#include "gpu_floors.hpp"  // kernels/: the benchmark's own, not installed

namespace fs = std::filesystem;
using namespace cascade;

namespace {

struct Case {
  std::string name;
  std::string group;  // "default" or "scale" (scale cases run only when named)
  std::string model;
  std::vector<std::pair<std::string, double>> params;
  std::uint32_t replicas = 1;
  std::int64_t steps = 100;  // timed steps per repeat on the CPU
  std::string description;
  std::function<std::vector<Network>()> networks;
  bool tune = false;  // time tune epochs (100 steps, 10 equilibration; theta, alpha, beta) instead of steps
  // Under mpiexec (docs/distributed.md): a case generated in parts gives each
  // rank only its part of the network, `part(ranks)` its (lo, hi) part.
  std::function<Network(std::size_t lo, std::size_t hi, Communicator* comm, int ranks)> part;
  std::function<std::size_t(int ranks)> part_neurons;
};

/// The world of an mpiexec launch (null in one process).
std::shared_ptr<Communicator> g_world;
int world_ranks() { return ranks_of(g_world.get()); }
bool is_root() { return rank_of(g_world.get()) == 0; }

std::uint64_t available_bytes() { return available_memory_bytes(); }

std::vector<Case> make_cases() {
  std::vector<Case> cases;
  auto normal = [](std::size_t n, double std_dev, std::uint64_t seed, std::uint32_t index) {
    return generate(NormalGenerator{n, 0.0, std_dev, 0.5, true}, seed, index);
  };
  // The reference ladder: BernoulliGLM at the test-suite parameters (Cascade's
  // defaults) on Normal(std 5, glorot, sparsity 0.5) networks.
  const std::pair<std::size_t, std::int64_t> ladder[] = {{20, 20000}, {100, 10000}, {1000, 2000},
                                                         {2236, 500},  {5000, 100},  {10000, 40}};
  for (const auto& [n, steps] : ladder)
    cases.push_back({"ladder-" + std::to_string(n), "default", "bernoulli_glm", {}, 1, steps,
                     "BernoulliGLM, Normal(std 5, glorot, sparsity 0.5), " + std::to_string(n) + " neurons",
                     [n, normal] { return std::vector<Network>{normal(n, 5.0, 1, 0)}; }});
  for (std::size_t n : {std::size_t{1000}, std::size_t{2236}})
    cases.push_back({"lnp-" + std::to_string(n), "default", "rectified_lnp", {}, 1, n == 1000 ? 1000 : 300,
                     "RectifiedLNP (T = 200), Normal(std 1, glorot), " + std::to_string(n) + " neurons",
                     [n, normal] { return std::vector<Network>{normal(n, 1.0, 2, 0)}; }});
  cases.push_back({"sam-10000", "default", "rectified_sam", {}, 1, 200,
                   "RectifiedSAM, Uniform(-0.002289, 0, sparsity 0.9), 10 000 neurons",
                   [] { return std::vector<Network>{generate(UniformGenerator{10000, -0.002289, 0.0, 0.9}, 3, 0)}; }});
  cases.push_back({"batch-10x50", "default", "bernoulli_glm", {}, 1, 10000, "10 networks of 50 neurons in one batch",
                   [normal] {
                     std::vector<Network> v;
                     for (std::uint32_t k = 0; k < 10; ++k) v.push_back(normal(50, 5.0, 4, k));
                     return v;
                   }});
  cases.push_back({"batch-10x2236", "default", "bernoulli_glm", {}, 1, 50, "10 networks of 2 236 neurons in one batch",
                   [normal] {
                     std::vector<Network> v;
                     for (std::uint32_t k = 0; k < 10; ++k) v.push_back(normal(2236, 5.0, 5, k));
                     return v;
                   }});
  cases.push_back({"batch-1000x100", "default", "bernoulli_glm", {}, 1, 200,
                   "1 000 networks of 100 neurons in one batch", [normal] {
                     std::vector<Network> v;
                     for (std::uint32_t k = 0; k < 1000; ++k) v.push_back(normal(100, 5.0, 6, k));
                     return v;
                   }});
  cases.push_back({"replicas-1000x64", "default", "bernoulli_glm", {}, 64, 100,
                   "the ladder-1000 network, 64 replicas", [normal] { return std::vector<Network>{normal(1000, 5.0, 1, 0)}; }});
  // tune: the reference's measured workload (BernoulliGLM, theta/alpha/beta,
  // 100-step epochs); "steps" counts epochs here.
  for (const auto& [n, epochs] : {std::pair<std::size_t, std::int64_t>{20, 200}, {2236, 10}}) {
    Case c{"tune-" + std::to_string(n), "default", "bernoulli_glm", {}, 1, epochs,
           "tune epochs (100 steps + 10 equilibration; theta, alpha, beta), ladder-" + std::to_string(n) + " network",
           [n, normal] { return std::vector<Network>{normal(n, 5.0, 1, 0)}; }};
    c.tune = true;
    cases.push_back(c);
  }
  // Scale: sparse fixed in-degree networks built directly as CSR.
  auto microcircuit = [](std::size_t n, std::int64_t k) {
    SparseGenerator g;
    g.n = n;
    g.in_degree = k;
    g.std = 5.0 / std::sqrt(static_cast<double>(k));
    g.dale = true;
    return std::vector<Network>{generate(g, 7, 0)};
  };
  cases.push_back({"microcircuit", "scale", "bernoulli_glm", {}, 1, 20,
                   "77 000 neurons x 3 900 random inputs (300 M synapses), normal std 5/sqrt(3900), Dale's law",
                   [microcircuit] { return microcircuit(77000, 3900); }});
  // Distributed scaling (run under mpiexec -n K; bench/mpi_scaling.sh): each
  // rank generates only its part. Strong: one network whatever K; weak: 50 000
  // neurons per rank. 100 inputs a neuron, normal std 5/sqrt(100), Dale's law.
  auto sparse_part = [](std::size_t n, std::size_t lo, std::size_t hi, Communicator* comm) {
    SparseGenerator g;
    g.n = n;
    g.in_degree = 100;
    g.std = 0.5;
    GeneratedPart p = generate_part(g, 7, 0, lo, hi);
    const double max_abs = comm ? comm->max(p.max_abs) : p.max_abs;
    const std::uint64_t syn = comm ? comm->sum(p.post.size()) : p.post.size();
    return Network::part_from_csr(n, lo, hi, std::move(p.row_ptr), std::move(p.post), std::move(p.weight), max_abs, syn,
                                  false, 0, p.label);
  };
  for (const bool weak : {false, true}) {
    Case c{weak ? "mpi-weak" : "mpi-strong", "mpi", "bernoulli_glm", {}, 1, 200,
           weak ? "50 000 neurons per rank x 100 inputs (5 M synapses a rank), generated in parts"
                : "200 000 neurons x 100 inputs (20 M synapses), generated in parts",
           {}};
    auto neurons = [weak](int ranks) { return weak ? std::size_t{50000} * static_cast<std::size_t>(ranks) : std::size_t{200000}; };
    c.part_neurons = neurons;
    c.part = [neurons, sparse_part](std::size_t lo, std::size_t hi, Communicator* comm, int ranks) {
      return sparse_part(neurons(ranks), lo, hi, comm);
    };
    c.networks = [neurons, sparse_part] {
      const std::size_t n = neurons(1);
      return std::vector<Network>{sparse_part(n, 0, n, nullptr)};
    };
    cases.push_back(c);
  }
  cases.push_back({"max-scale", "scale", "bernoulli_glm", {}, 1, 10,
                   "the largest 1 000-input network that fits (sized from free host and device memory; at most 2e9 synapses)", [microcircuit] {
                     // The host builds it at about 20 bytes per synapse (16 kept); a GPU
                     // holds 8 per synapse plus state: with a device present, the
                     // smaller of the two budgets.
                     double synapses = 0.6 * static_cast<double>(available_bytes()) / 20.0;
                     if (const std::uint64_t dev = gpu_free_bytes(0); dev > 0)
                       synapses = std::min(synapses, 0.8 * static_cast<double>(dev) / 9.0);
                     const std::size_t n = std::max<std::size_t>(2000, static_cast<std::size_t>(synapses / 1000.0));
                     return microcircuit(std::min<std::size_t>(n, 2000000000 / 1000), 1000);
                   }});
  return cases;
}

struct Result {
  std::string name, backend, description, strategy;
  std::string unit = "step";  // what us_per_step_* time: a step, or a tune epoch
  std::size_t neurons = 0, synapses = 0, networks = 0;
  std::uint32_t replicas = 1;
  std::int64_t steps = 0;
  int repeats = 0, threads = 0;
  double us_median = 0, us_min = 0, us_max = 0;
  double steps_per_s = 0, events_per_s = 0, neuron_steps_per_s = 0;
  double bytes_per_synapse = 0, mean_rate_hz = 0, build_seconds = 0;
  std::uint64_t peak_device_bytes = 0, peak_host_bytes = 0;
  // Distributed runs: per rank, its time per step, its exchange time per
  // step, the bytes it exchanged per step and its peak memory.
  int ranks = 1;
  std::vector<double> rank_us, rank_exchange_us, rank_exchange_bytes;
  std::vector<std::uint64_t> rank_peak_bytes;
};

std::uint64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) o += c;
  }
  return o + "\"";
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char b[40];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

/// GPU rows time more steps than the CPU's (a step costs microseconds there).
std::int64_t gpu_steps(const Case& c) { return std::max<std::int64_t>(2000, c.steps * 20); }

Result run_case(const Case& c, Backend backend, GpuStrategy strategy, int repeat, std::int64_t steps_override,
                int threads) {
  Result r;
  r.name = c.name;
  r.description = c.description;
  r.backend = backend_name(backend);
  r.replicas = c.replicas;
  const auto t0 = std::chrono::steady_clock::now();
  const int K = world_ranks();
  std::vector<Network> nets;
  std::vector<std::size_t> bounds;
  if (K > 1 && c.part) {  // each rank makes its part only
    bounds = engine::even_bounds(c.part_neurons(K), K);
    const int me = rank_of(g_world.get());
    nets.push_back(c.part(bounds[static_cast<std::size_t>(me)], bounds[static_cast<std::size_t>(me) + 1], g_world.get(), K));
  } else {
    nets = c.networks();
  }
  r.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.networks = nets.size();
  std::size_t bytes = 0, held = 0;  // held: the synapses this process stores (its part)
  for (const auto& n : nets) {
    held += n.n_synapses();
    r.neurons += n.n_neurons();
    r.synapses += n.whole_synapses();
    // The GPU keeps index + fixed-point weight; the host also the given double weights.
    bytes += n.row_ptr().size() * 8 + n.post().size() * 4 + n.quantised().size() * 4 +
             (backend == Backend::kGpu ? 0 : n.weight().size() * 8);
  }
  r.bytes_per_synapse = held ? static_cast<double>(bytes) / static_cast<double>(held) : 0.0;
  AnyModel model = make_model(c.model);
  for (const auto& [k, v] : c.params) set_param(model, k, v);
  if (c.tune) {
    r.unit = "epoch";
    // Time per epoch: one warm-up epoch, then `repeat` runs of `steps` epochs.
    SimulatorOptions opt;
    opt.seed = 1;
    opt.threads = threads;
    opt.backend = backend;  // epochs and gradients on this backend (docs/tune.md)
    opt.gpu_strategy = strategy;
    TuneOptions o;
    o.target_hz = 10.0;
    o.selection = {"theta", "alpha", "beta"};
    o.lr = 0.01;
    o.steps = 100;
    o.equilibration = 10;
    o.epochs = 1;
    tune(model, nets, {}, opt, o);
    // The GPU runs ten times the epochs, so that its one engine set-up per tune call is amortised.
    r.steps = steps_override > 0 ? steps_override : backend == Backend::kGpu ? 10 * c.steps : c.steps;
    o.epochs = r.steps;
    std::vector<double> us;
    double rate = 0;
    for (int k = 0; k < repeat; ++k) {
      const auto t1 = std::chrono::steady_clock::now();
      const TuneResult tr = tune(model, nets, {}, opt, o);
      us.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count() /
                   static_cast<double>(r.steps) * 1e6);
      rate = tr.history.back().rate_hz;
      r.strategy = tr.gradient_path;  // "gpu tangent", "cpu tangent", or a replay
    }
    r.repeats = repeat;
    r.threads = threads;
    r.us_median = median(us);
    r.us_min = *std::min_element(us.begin(), us.end());
    r.us_max = *std::max_element(us.begin(), us.end());
    r.steps_per_s = 1e6 / r.us_median;  // epochs per second
    r.neuron_steps_per_s = static_cast<double>(r.neurons) * 110.0 * r.steps_per_s;
    r.mean_rate_hz = rate;
    r.peak_host_bytes = peak_rss_bytes();
    return r;
  }
  SimulatorOptions opt;
  opt.replicas = c.replicas;
  opt.seed = 1;
  opt.threads = threads;
  opt.backend = backend;
  opt.gpu_strategy = strategy;
  opt.communicator = g_world;
  opt.partition = bounds;
  Simulator sim(model, std::move(nets), opt);
  r.ranks = K;
  const bool gpu = backend == Backend::kGpu;
  r.steps = steps_override > 0 ? steps_override : gpu ? gpu_steps(c) : c.steps;
  // Warm-up: equilibration from a fresh state, then timed repeats continuing it.
  RunOptions warm;
  warm.steps = std::max<std::int64_t>(1, r.steps / 5);
  warm.equilibration_steps = 100;
  warm.record = false;
  sim.run(warm);
  std::vector<double> us;
  std::uint64_t events = 0, spikes = 0, neuron_steps = 0, exchanged = 0;
  double wall = 0, exchange = 0;
  for (int k = 0; k < repeat; ++k) {
    RunOptions ro;
    ro.steps = r.steps;
    ro.equilibration_steps = 0;
    ro.fresh_state = false;
    ro.record = false;
    const RunSummary s = sim.run(ro).summary;
    // GPU: device time between CUDA events around the run's steps.
    us.push_back((gpu ? s.device_seconds : s.wall_seconds) / static_cast<double>(r.steps) * 1e6);
    r.strategy = s.gpu_strategy;
    r.peak_device_bytes = std::max<std::uint64_t>(r.peak_device_bytes, s.device_bytes);
    events += s.synaptic_events;
    spikes += s.recorded_spike_count;
    neuron_steps += s.recorded_neuron_steps;
    wall += gpu ? s.device_seconds : s.wall_seconds;
    exchange += s.exchange_seconds;
    exchanged += s.exchange_bytes;
    r.threads = s.threads;
  }
  r.repeats = repeat;
  r.us_median = median(us);
  r.us_min = *std::min_element(us.begin(), us.end());
  r.us_max = *std::max_element(us.begin(), us.end());
  r.steps_per_s = 1e6 / r.us_median;
  r.events_per_s = static_cast<double>(events) / wall;
  r.neuron_steps_per_s = static_cast<double>(neuron_steps) / wall;
  r.mean_rate_hz = neuron_steps ? static_cast<double>(spikes) / static_cast<double>(neuron_steps) * 1000.0 / sim.dt() : 0;
  r.peak_host_bytes = peak_rss_bytes();
  if (g_world) {  // every rank's own figures, in rank order
    const double total_steps = static_cast<double>(r.steps) * repeat;
    const double mine[4] = {r.us_median, exchange / total_steps * 1e6, static_cast<double>(exchanged) / total_steps,
                            static_cast<double>(r.peak_host_bytes)};
    std::vector<double> all(4 * static_cast<std::size_t>(K));
    g_world->allgather(mine, sizeof mine, all.data());
    for (int k = 0; k < K; ++k) {
      r.rank_us.push_back(all[4 * k]);
      r.rank_exchange_us.push_back(all[4 * k + 1]);
      r.rank_exchange_bytes.push_back(all[4 * k + 2]);
      r.rank_peak_bytes.push_back(static_cast<std::uint64_t>(all[4 * k + 3]));
    }
  }
  return r;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

const char* kHelp =
    "usage: cascade-bench [--case NAME]... [options]\n"
    "\n"
    "Times named, reproducible cases (bench/README.md). Without --case: every\n"
    "case but the scale group (microcircuit, max-scale), which run when named\n"
    "(or with --case scale).\n"
    "\n"
    "options:\n"
    "  --case NAME        a case, 'all' or 'scale' (repeatable)\n"
    "  --backend B        cpu (default), gpu, or all (the backends this build has)\n"
    "  --gpu-strategy S   auto (default), block, step, graph, pull, fused, cluster, or each (every\n"
    "                     strategy compatible with the case, one row each)\n"
    "  --repeat N         timed repeats per case (default 5)\n"
    "  --steps N          timed steps per repeat (default: per case)\n"
    "  --threads T        CPU threads (default 0 = all cores)\n"
    "  --json FILE        write the results as JSON\n"
    "  --write-networks DIR  write each selected case's networks (dense .npy, or\n"
    "                     edge-list directories for the scale cases) and a\n"
    "                     cases.json describing them, for bench/compare_reference.py;\n"
    "                     runs nothing\n"
    "  --list             list the cases\n"
    "\n"
    "Under mpiexec -n K every case runs distributed over the K ranks (docs/distributed.md;\n"
    "the mpi cases generate each rank's part only): rank 0 prints per-rank step and\n"
    "exchange times, bytes exchanged per step and peak memory per rank.\n";

}  // namespace

int main(int argc, char** argv) {
  g_world = world_communicator();  // null unless an MPI launcher started the bench
  if (!is_root() && !std::freopen("/dev/null", "w", stdout)) return 1;  // rank 0 reports
  std::vector<std::string> names;
  std::string backend_arg = "cpu", json_path, write_dir, strategy_arg = "auto";
  int repeat = 5, threads = 0;
  std::int64_t steps = 0;
  bool list = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw Error("option " + a + " needs a value");
        return argv[++i];
      };
      auto integer = [&](long long lo, long long hi) {
        const std::string v = value();
        char* end = nullptr;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (end == v.c_str() || *end || x < lo || x > hi)
          throw Error("option " + a + ": '" + v + "' is not an integer in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]");
        return x;
      };
      if (a == "--help" || a == "-h") {
        std::fputs(kHelp, stdout);
        return 0;
      } else if (a == "--case") names.push_back(value());
      else if (a == "--backend") backend_arg = value();
      else if (a == "--gpu-strategy") strategy_arg = value();
      else if (a == "--repeat") repeat = static_cast<int>(integer(1, 1000));
      else if (a == "--steps") steps = integer(1, std::int64_t{1} << 40);
      else if (a == "--threads") threads = static_cast<int>(integer(0, 4096));
      else if (a == "--json") json_path = value();
      else if (a == "--write-networks") write_dir = value();
      else if (a == "--list") list = true;
      else throw Error("unknown option " + a + " (see --help)");
    }
    const auto cases = make_cases();
    if (list) {
      for (const auto& c : cases) std::printf("%-18s %-8s %s\n", c.name.c_str(), c.group.c_str(), c.description.c_str());
      return 0;
    }
    std::vector<const Case*> selected;
    for (const auto& c : cases) {
      bool take = names.empty() ? c.group == "default" : false;
      for (const auto& n : names) take = take || n == c.name || n == "all" || n == c.group;
      if (take) selected.push_back(&c);
    }
    for (const auto& n : names) {
      bool known = n == "all" || n == "scale" || n == "default" || n == "mpi";
      for (const auto& c : cases) known = known || c.name == n;
      if (!known) {
        std::string valid;
        for (const auto& c : cases) valid += " " + c.name;
        throw Error("unknown case '" + n + "'; valid: all, default, scale," + valid);
      }
    }

    if (!write_dir.empty()) {
      fs::create_directories(write_dir);
      std::ofstream manifest(fs::path(write_dir) / "cases.json");
      manifest << "[\n";
      for (std::size_t k = 0; k < selected.size(); ++k) {
        const Case& c = *selected[k];
        const fs::path dir = fs::path(write_dir) / c.name;
        fs::create_directories(dir);
        const auto nets = c.networks();
        std::vector<std::string> files;
        for (std::size_t b = 0; b < nets.size(); ++b) {
          char name[32];
          std::snprintf(name, sizeof name, "%06zu", b);
          if (nets[b].n_neurons() <= 20000) {
            save_dense_network(nets[b], (dir / (std::string(name) + ".npy")).string());
            files.push_back(c.name + "/" + name + ".npy");
          } else {
            save_edge_list(nets[b], (dir / name).string());
            files.push_back(c.name + "/" + name);
          }
        }
        std::string params = "{";
        for (const auto& p : list_params(make_model(c.model)))
          params += (params.size() > 1 ? ", " : "") + json_str(p.name) + ": " + num(p.value);
        manifest << "  {\"case\": " << json_str(c.name) << ", \"model\": " << json_str(c.model)
                 << ", \"params\": " << params << "}, \"replicas\": " << c.replicas << ", \"steps\": " << c.steps
                 << ", \"kind\": " << json_str(c.tune ? "tune" : "simulate")
                 << ", \"networks\": [";
        for (std::size_t b = 0; b < files.size(); ++b) manifest << (b ? ", " : "") << json_str(files[b]);
        manifest << "]}" << (k + 1 < selected.size() ? ",\n" : "\n");
        std::fprintf(stderr, "cascade-bench: wrote %s (%zu networks)\n", dir.string().c_str(), nets.size());
      }
      manifest << "]\n";
      return 0;
    }

    std::vector<Backend> backends;
    if (backend_arg == "cpu") backends = {Backend::kCpu};
    else if (backend_arg == "gpu") backends = {Backend::kGpu};
    else if (backend_arg == "all") backends = {Backend::kCpu, Backend::kGpu};
    else throw Error("--backend '" + backend_arg + "': expected cpu, gpu or all");

    const std::vector<std::string> devices = gpu_device_descriptions();
    std::vector<GpuStrategy> strategies;
    if (strategy_arg == "each")
      strategies = {GpuStrategy::kBlock, GpuStrategy::kStep, GpuStrategy::kGraph, GpuStrategy::kPull,
                    GpuStrategy::kFused, GpuStrategy::kCluster};
    else
      strategies = {parse_gpu_strategy(strategy_arg)};
    GpuFloors floors;
    const BuildInfo bi = build_info();
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::printf("cascade-bench %s (%s), %s, %u hardware threads; device: %s\n", bi.version.c_str(), bi.git_hash.c_str(),
                cpu_model().c_str(), std::thread::hardware_concurrency(),
                devices.empty() ? "none" : devices.front().c_str());
    std::printf("%-18s %-10s %8s %11s %6s %8s %11s %11s %11s %10s %9s %8s\n", "case", "backend", "neurons", "synapses", "reps",
                "steps", "us/step", "(min)", "(max)", "syn.ev/s", "rate Hz", "B/syn");
    std::vector<Result> results;
    for (Backend b : backends) {
      if (b == Backend::kGpu) {
        if (devices.empty()) {
          std::printf("cascade-bench: no GPU rows: %s\n",
                      gpu_engine_built() ? "no CUDA device is present" : "this build has no CUDA engine");
          continue;
        }
        floors = measure_gpu_floors(0);
        std::printf("floors (%s): launch %.3g us, graph node %.3g us, block barrier %.3g us, int64 atomics %.3g /s, "
                    "copy %.3g B/s\n",
                    devices.front().c_str(), floors.launch_us, floors.graph_node_us, floors.block_barrier_us,
                    floors.atomic_per_s, floors.copy_bytes_per_s);
      }
      for (const Case* c : selected)
        for (GpuStrategy st : (b == Backend::kGpu ? strategies : std::vector<GpuStrategy>{GpuStrategy::kAuto})) {
          Result r;
          try {
            r = run_case(*c, b, st, repeat, steps, threads);
          } catch (const Error& e) {
            if (strategies.size() == 1) throw;
            std::printf("%-18s %-4s %s: %s\n", c->name.c_str(), "gpu", gpu_strategy_name(st), e.what());
            continue;
          }
          const std::string bk = r.backend + (r.strategy.empty() ? "" : "/" + r.strategy);
          std::printf("%-18s %-10s %8zu %11zu %6d %8lld %11.4g %11.4g %11.4g %10.3g %9.4g %8.3g\n", r.name.c_str(),
                      bk.c_str(), r.neurons, r.synapses, r.repeats, static_cast<long long>(r.steps), r.us_median,
                      r.us_min, r.us_max, r.events_per_s, r.mean_rate_hz, r.bytes_per_synapse);
          if (r.ranks > 1) {
            double share = 0, bytes = 0;
            std::uint64_t peak = 0;
            std::string per;
            for (int k = 0; k < r.ranks; ++k) {
              share = std::max(share, r.rank_exchange_us[k] / r.rank_us[k]);
              bytes = std::max(bytes, r.rank_exchange_bytes[k]);
              peak = std::max(peak, r.rank_peak_bytes[k]);
              per += (k ? " " : "") + std::to_string(static_cast<long long>(std::llround(r.rank_us[k])));
            }
            std::printf("  %d ranks: us/step by rank [%s]; exchange up to %.1f %% of a step, %.3g bytes a step; "
                        "peak memory up to %.1f MiB a rank\n",
                        r.ranks, per.c_str(), 100 * share, bytes, static_cast<double>(peak) / 1048576.0);
          }
          std::fflush(stdout);
          results.push_back(r);
        }
    }
    if (!json_path.empty() && is_root()) {
      std::ostringstream js;
      js << "{\n  \"machine\": {\"host\": " << json_str(host) << ", \"cpu\": " << json_str(cpu_model())
         << ", \"hardware_threads\": " << std::thread::hardware_concurrency()
         << ", \"card\": " << json_str(devices.empty() ? "none" : devices.front())
         << ", \"driver\": " << json_str(devices.empty() ? "none" : "see card")
         << ", \"build\": " << json_str(bi.build_type + ", " + bi.compiler + (bi.cuda ? ", CUDA sm_" + bi.cuda_architectures : ", no CUDA"))
         << ", \"git_hash\": " << json_str(bi.git_hash) << ", \"version\": " << json_str(bi.version)
         << ", \"floors\": {\"launch_us\": " << num(floors.launch_us) << ", \"graph_node_us\": " << num(floors.graph_node_us)
         << ", \"block_barrier_us\": " << num(floors.block_barrier_us) << ", \"int64_atomics_per_s\": "
         << num(floors.atomic_per_s) << ", \"copy_bytes_per_s\": " << num(floors.copy_bytes_per_s) << "}},\n";
      js << "  \"results\": [\n";
      for (std::size_t k = 0; k < results.size(); ++k) {
        const Result& r = results[k];
        js << "    {\"case\": " << json_str(r.name) << ", \"backend\": " << json_str(r.backend)
           << ", \"strategy\": " << json_str(r.strategy)
           << ", \"description\": " << json_str(r.description) << ", \"neurons\": " << r.neurons
           << ", \"synapses\": " << r.synapses << ", \"networks\": " << r.networks << ", \"replicas\": " << r.replicas
           << ", \"unit\": " << json_str(r.unit) << ", \"steps\": " << r.steps << ", \"repeats\": " << r.repeats << ", \"threads\": " << r.threads
           << ", \"us_per_step_median\": " << num(r.us_median) << ", \"us_per_step_min\": " << num(r.us_min)
           << ", \"us_per_step_max\": " << num(r.us_max) << ", \"steps_per_s\": " << num(r.steps_per_s)
           << ", \"synaptic_events_per_s\": " << num(r.events_per_s)
           << ", \"neuron_steps_per_s\": " << num(r.neuron_steps_per_s)
           << ", \"bytes_per_synapse\": " << num(r.bytes_per_synapse)
           << ", \"peak_device_bytes\": " << r.peak_device_bytes << ", \"peak_host_bytes\": " << r.peak_host_bytes
           << ", \"mean_rate_hz\": " << num(r.mean_rate_hz) << ", \"build_seconds\": " << num(r.build_seconds)
           << ", \"ranks\": " << r.ranks;
        auto list = [&](const char* key, const auto& v) {
          js << ", \"" << key << "\": [";
          for (std::size_t k = 0; k < v.size(); ++k) js << (k ? ", " : "") << num(static_cast<double>(v[k]));
          js << "]";
        };
        if (r.ranks > 1) {
          list("rank_us_per_step", r.rank_us);
          list("rank_exchange_us_per_step", r.rank_exchange_us);
          list("rank_exchange_bytes_per_step", r.rank_exchange_bytes);
          list("rank_peak_host_bytes", r.rank_peak_bytes);
        }
        js << "}"
           << (k + 1 < results.size() ? ",\n" : "\n");
      }
      js << "  ]\n}\n";
      std::ofstream(json_path) << js.str();
      std::printf("cascade-bench: wrote %s\n", json_path.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cascade-bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
