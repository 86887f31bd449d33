// Model-independent parts of the CPU engine: work layout, checks, messages.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "cascade/engine/cpu_engine.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace cascade::detail {

int resolve_thread_count(int requested) {
  if (requested < 0) throw Error("threads: " + std::to_string(requested) + " is invalid; expected >= 0 (0 = all cores)");
#if defined(_OPENMP)
  return requested == 0 ? omp_get_max_threads() : requested;
#else
  return 1;
#endif
}

CpuLayout make_cpu_layout(const std::vector<std::shared_ptr<const Network>>& nets, const SimulatorOptions& opt) {
  CpuLayout L;
  L.threads = resolve_thread_count(opt.threads);
  L.net_offset.resize(nets.size());
  for (std::size_t n = 0; n < nets.size(); ++n) {
    L.net_offset[n] = L.total_neurons;
    L.total_neurons += nets[n]->n_neurons();
  }
  L.slots = L.total_neurons * opt.replicas;
  const std::size_t units = nets.size() * opt.replicas;
  // Enough tasks to balance the team when units are few; blocks of at most
  // 64k neurons keep a task's targets in cache; at least 256 neurons a block.
  const std::size_t want = (4 * static_cast<std::size_t>(L.threads) + units - 1) / units;
  for (std::uint32_t r = 0; r < opt.replicas; ++r)
    for (std::uint32_t n = 0; n < nets.size(); ++n) {
      const std::size_t N = nets[n]->n_neurons();
      const std::uint32_t u = static_cast<std::uint32_t>(L.units.size());
      L.units.push_back({opt.replica_offset + r, n, r * L.total_neurons + L.net_offset[n]});
      std::size_t blocks = std::min(want, (N + 255) / 256);
      blocks = std::max<std::size_t>({blocks, 1, (N + 65535) / 65536});
      L.unit_first_task.push_back(L.tasks.size());
      for (std::size_t b = 0; b < blocks; ++b) {
        const auto lo = static_cast<std::int32_t>(N * b / blocks);
        const auto hi = static_cast<std::int32_t>(N * (b + 1) / blocks);
        L.tasks.push_back({u, lo, hi});
      }
    }
  L.unit_first_task.push_back(L.tasks.size());
  return L;
}

void check_run_options(const RunOptions& o, std::uint64_t current_step) {
  if (o.steps < 1) throw Error("steps: " + std::to_string(o.steps) + " is invalid; expected >= 1");
  if (o.equilibration_steps < 0)
    throw Error("equilibration steps: " + std::to_string(o.equilibration_steps) + " is invalid; expected >= 0");
  const auto total = static_cast<std::uint64_t>(o.steps) + static_cast<std::uint64_t>(o.equilibration_steps);
  if (total > kMaxStep || current_step + total > kMaxStep)
    throw Error("the run would pass global step 2^40, the limit of the random-stream counter");
  if (o.stimulus_start < 0 || o.stimulus_start > static_cast<std::int64_t>(kMaxStep))
    throw Error("stimulus start: " + std::to_string(o.stimulus_start) + " is invalid; expected 0 <= t < 2^40");
}

void check_batch(const std::vector<std::shared_ptr<const Network>>& nets, const FilterSpec& spec,
                 bool allows_self_coupling, const char* model_name, const SimulatorOptions& opt) {
  if (nets.empty()) throw Error("no networks to simulate");
  if (opt.replicas < 1) throw Error("replicas: 0 is invalid; expected >= 1");
  if (opt.first_step > kMaxStep)
    throw Error("first step: " + std::to_string(opt.first_step) + " is invalid; expected < 2^40");
  if (static_cast<std::uint64_t>(opt.replica_offset) + opt.replicas - 1 > kMaxReplica)
    throw Error("replicas: offset " + std::to_string(opt.replica_offset) + " + " + std::to_string(opt.replicas) +
                " replicas exceed the limit of 65536 replica indices");
  const bool per_edge = nets.front()->filter_length() > 0;
  for (const auto& n : nets) {
    if ((n->filter_length() > 0) != per_edge)
      throw Error("network '" + n->label() +
                  "': a batch must not mix per-edge-filter networks with scalar-weight networks");
    if (per_edge && spec.initial == InitialState::kRandomActivation)
      throw Error("network '" + n->label() + "': model '" + model_name +
                  "' integrates an activation; per-edge filters apply to spike-history models only");
    if (!per_edge && !allows_self_coupling && n->has_self_edges()) {
      std::size_t neuron = 0;
      for (std::size_t j = 0; j < n->n_neurons(); ++j)
        for (std::int64_t e = n->row_ptr()[j]; e < n->row_ptr()[j + 1]; ++e)
          if (static_cast<std::size_t>(n->post()[e]) == j) { neuron = j; goto found; }
    found:
      throw Error("network '" + n->label() + "': W0 has a non-zero diagonal entry (W0[" + std::to_string(neuron) +
                  ", " + std::to_string(neuron) + "]); model '" + model_name +
                  "' uses the diagonal for its refractory filter, so self-coupling weights must be zero");
    }
  }
  for (std::size_t a = 0; a < nets.size(); ++a)
    for (std::size_t b = a + 1; b < nets.size(); ++b)
      if (nets[a]->instance_id() == nets[b]->instance_id())
        throw Error("networks '" + nets[a]->label() + "' and '" + nets[b]->label() + "' share instance id " +
                    std::to_string(nets[a]->instance_id()) + "; each network of a batch needs its own");
}

namespace {
std::string gib(std::uint64_t b) {
  std::ostringstream os;
  os.precision(3);
  os << static_cast<double>(b) / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return os.str();
}
}  // namespace

void check_memory(std::uint64_t bytes, const char* what) {
  const std::uint64_t avail = available_memory_bytes();
  if (avail > 0 && bytes > avail / 10 * 9)
    throw Error(std::string(what) + " needs " + gib(bytes) + " of memory but only " + gib(avail) + " are available");
}

void throw_non_finite(std::uint64_t step, const Network& net, std::uint32_t net_index, std::uint32_t replica,
                      std::int32_t neuron, double g, double rate) {
  std::ostringstream os;
  os.precision(17);
  os << "non-finite rate at global step " << step << ", network " << net_index << " ('" << net.label()
     << "', instance " << net.instance_id() << "), replica " << replica << ", neuron " << neuron << ": g = " << g
     << ", rate = " << rate << "; the run stopped here (check the parameters, e.g. an exponential non-linearity "
        "overflowing)";
  throw Error(os.str());
}

FilterSpec new_filter_values(const FilterSpec& spec_in, const FilterSpec& current, bool per_edge, std::size_t ring_len,
                             std::size_t self_len, const char* model_name) {
  FilterSpec spec = spec_in;
  if (spec.coupling == CouplingKind::kTruncatedExp && spec.window <= 0) spec.coupling = CouplingKind::kNone;
  const std::size_t ring = per_edge ? ring_len
                           : spec.coupling == CouplingKind::kTruncatedExp ? static_cast<std::size_t>(spec.window) : 0;
  const std::size_t self = per_edge ? 0 : spec.self_filter.size();
  if (ring != ring_len || self != self_len || spec.coupling != current.coupling)
    throw Error(std::string("model '") + model_name +
                "': the new parameters change the filters' kind or length (the engine's state shape); only their "
                "values may change");
  return spec;
}

void check_state_sizes(const EngineState& e, std::size_t slots, std::size_t ring_len, std::size_t self_len) {
  auto check = [](const char* what, std::size_t got, std::size_t want) {
    if (got != want)
      throw Error(std::string("saved state: ") + what + " has " + std::to_string(got) + " values, but this simulator needs " +
                  std::to_string(want) + " (a different model, network batch or replica count)");
  };
  check("the filtered drive", e.S.size(), slots);
  check("the accumulators", e.acc.size(), slots);
  check("the drive history", e.ring.size(), slots * ring_len);
  check("the count history", e.xhist.size(), slots * self_len);
  check("the last counts", e.xlast.size(), slots);
  if (e.step > kMaxStep) throw Error("saved state: step " + std::to_string(e.step) + " is past the random-stream limit 2^40");
}

}  // namespace cascade::detail
