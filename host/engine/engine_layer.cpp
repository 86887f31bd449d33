// The shared engine layer (engine/engine_layer.hpp): batch layout, state
// shape, run checks and messages, run summary.
#include "cascade/extend/engine_layer.hpp"

#include <algorithm>
#include <utility>
#include <sstream>

#include "cascade/error.hpp"
#include "core/limits.hpp"
#include "cascade/raster.hpp"

namespace cascade::engine {

BatchLayout make_batch_layout(const Networks& nets, const SimulatorOptions& opt) {
  BatchLayout L;
  L.net_offset.resize(nets.size());
  for (std::size_t n = 0; n < nets.size(); ++n) {
    L.net_offset[n] = L.total_neurons;
    L.total_neurons += nets[n]->n_neurons();
    L.max_neurons = std::max(L.max_neurons, nets[n]->n_neurons());
    L.synapses += nets[n]->n_synapses();
    L.max_synapses = std::max<std::uint64_t>(L.max_synapses, nets[n]->n_synapses());
  }
  L.slots = L.total_neurons * opt.replicas;
  for (std::uint32_t r = 0; r < opt.replicas; ++r)
    for (std::uint32_t n = 0; n < nets.size(); ++n)
      L.units.push_back({opt.replica_offset + r, n, r * L.total_neurons + L.net_offset[n]});
  return L;
}

std::size_t BatchLayout::unit_of(std::size_t slot) const {
  const auto it = std::upper_bound(units.begin(), units.end(), slot,
                                   [](std::size_t s, const Unit& u) { return s < u.slot_base; });
  return static_cast<std::size_t>(it - units.begin()) - 1;
}

FilterSpec normalised_filters(FilterSpec spec) {
  if (spec.coupling == CouplingKind::kTruncatedExp && spec.window <= 0) spec.coupling = CouplingKind::kNone;
  return spec;
}

EngineShape make_engine_shape(const FilterSpec& spec_in, const Networks& nets, const char* model_name) {
  EngineShape s;
  s.spec = normalised_filters(spec_in);
  if (s.spec.self_filter.size() > static_cast<std::size_t>(kMaxHistory) || s.spec.window > kMaxHistory)
    throw Error(std::string("model '") + model_name + "': filters longer than 100000 steps are not supported");
  s.per_edge = !nets.empty() && nets.front()->filter_length() > 0;
  if (s.per_edge) {
    for (const auto& n : nets) s.ring_len = std::max(s.ring_len, n->filter_length());
    s.self_len = 0;
  } else {
    s.ring_len = s.spec.coupling == CouplingKind::kTruncatedExp ? static_cast<std::size_t>(s.spec.window) : 0;
    s.self_len = s.spec.self_filter.size();
  }
  s.consts = make_filter_consts(s.spec, s.per_edge, s.ring_len, s.self_len);
  return s;
}

EngineShape reshape(const EngineShape& current, const FilterSpec& spec_in, const char* model_name) {
  EngineShape s = current;
  s.spec = normalised_filters(spec_in);
  const std::size_t ring = current.per_edge ? current.ring_len
                           : s.spec.coupling == CouplingKind::kTruncatedExp ? static_cast<std::size_t>(s.spec.window)
                                                                            : 0;
  const std::size_t self = current.per_edge ? 0 : s.spec.self_filter.size();
  if (ring != current.ring_len || self != current.self_len || s.spec.coupling != current.spec.coupling)
    throw Error(std::string("model '") + model_name +
                "': the new parameters change the filters' kind or length (the engine's state shape); only their "
                "values may change");
  s.consts = make_filter_consts(s.spec, s.per_edge, s.ring_len, s.self_len);
  return s;
}

std::uint64_t EngineShape::state_bytes(std::size_t slots) const {
  std::uint64_t per = 0;
  EngineState probe;
  EngineState::for_each_array(probe, [&](const auto& a, const char*, StateExtent e) {
    per += sizeof(a[0]) * per_slot(e);
  });
  return static_cast<std::uint64_t>(slots) * per;
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

namespace {
/// The first diagonal entry W0[j, j] of a network that has one.
/// The first neuron with a synapse onto itself, and that synapse's weight.
std::pair<std::size_t, double> first_self_edge(const Network& n) {
  // A rank's part may not hold it: the whole network's, kept when it was cut.
  if (n.whole_self_edge_neuron() >= 0)
    return {static_cast<std::size_t>(n.whole_self_edge_neuron()), n.whole_self_edge_weight()};
  for (std::size_t j = 0; j < n.n_neurons(); ++j)
    for (std::int64_t e = n.row_ptr()[j]; e < n.row_ptr()[j + 1]; ++e)
      if (static_cast<std::size_t>(n.post()[e]) == j) return {j, n.weight().empty() ? 1.0 : n.weight()[e]};
  return {0, 0.0};
}
}  // namespace

void check_batch(const Networks& nets, const EngineShape& shape, bool allows_self_coupling, const char* model_name,
                 const SimulatorOptions& opt) {
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
    if (per_edge && shape.spec.initial == InitialState::kRandomActivation)
      throw Error("network '" + n->label() + "': model '" + model_name +
                  "' integrates an activation; per-edge filters apply to spike-history models only");
    if (!per_edge && !allows_self_coupling && n->has_self_edges()) {
      const auto [neuron, weight] = first_self_edge(*n);
      const std::string at = "W0[" + std::to_string(neuron) + ", " + std::to_string(neuron) + "]";
      throw Error("network '" + n->label() + "': W0 has " +
                  (weight != 0.0 ? "a non-zero diagonal entry (" + at + ")"
                                 : "a self-edge " + at + " (listed with weight 0, which is still a synapse)") +
                  "; model '" + model_name +
                  "' uses the diagonal for its refractory filter, so self-coupling weights must be zero");
    }
  }
  for (std::size_t a = 0; a < nets.size(); ++a)
    for (std::size_t b = a + 1; b < nets.size(); ++b)
      if (nets[a]->instance_id() == nets[b]->instance_id())
        throw Error("networks '" + nets[a]->label() + "' and '" + nets[b]->label() + "' share instance id " +
                    std::to_string(nets[a]->instance_id()) + "; each network of a batch needs its own");
}

void check_memory(std::uint64_t bytes, const char* what) { require_memory(bytes, what); }

void check_state(const EngineState& e, std::size_t slots, const EngineShape& shape) {
  EngineState::for_each_array(e, [&](const auto& a, const char* what, StateExtent extent) {
    const std::size_t want = slots * shape.per_slot(extent);
    if (a.size() != want)
      throw Error(std::string("saved state: ") + what + " has " + std::to_string(a.size()) +
                  " values, but this simulator needs " + std::to_string(want) +
                  " (a different model, network batch or replica count)");
  });
  if (e.step > kMaxStep) throw Error("saved state: step " + std::to_string(e.step) + " is past the random-stream limit 2^40");
}

void check_initial_spikes(std::span<const std::uint8_t> counts, std::size_t slots) {
  if (counts.size() != slots)
    throw Error("initial spikes: expected " + std::to_string(slots) + " values (replicas x total neurons), got " +
                std::to_string(counts.size()));
}

void check_initial_activation(std::span<const double> activation, std::size_t slots, const EngineShape& shape,
                              const char* model_name) {
  if (activation.size() != slots)
    throw Error("initial activation: expected " + std::to_string(slots) + " values (replicas x total neurons), got " +
                std::to_string(activation.size()));
  if (shape.spec.initial != InitialState::kRandomActivation || shape.per_edge)
    throw Error(std::string("initial activation: model '") + model_name +
                "' keeps a spike history, not an activation; set initial spikes instead");
  for (double v : activation)
    if (!math::is_finite(v)) throw Error("initial activation: values must be finite");
}

void check_inspect_time(std::int64_t stimulus_time) {
  if (stimulus_time != kStimulusOff && stimulus_time < 0)
    throw Error("inspect: stimulus time " + std::to_string(stimulus_time) + " is invalid; expected >= 0");
}

void throw_non_finite(const BatchLayout& layout, const Networks& nets, std::uint64_t step, std::size_t slot,
                      double g, double rate) {
  const BatchLayout::Unit& u = layout.units[layout.unit_of(slot)];
  const Network& net = *nets[u.net];
  std::ostringstream os;
  os.precision(17);
  os << "non-finite rate at global step " << step << ", network " << u.net << " ('" << net.label() << "', instance "
     << net.instance_id() << "), replica " << u.replica << ", neuron " << slot - u.slot_base << ": g = " << g
     << ", rate = " << rate
     << "; the run stopped here (check the parameters, e.g. an exponential non-linearity overflowing)";
  throw Error(os.str());
}

double mean_rate_hz(std::uint64_t recorded_spikes, std::uint64_t recorded_neuron_steps, double dt) {
  if (recorded_neuron_steps == 0) return 0.0;
  return static_cast<double>(recorded_spikes) / static_cast<double>(recorded_neuron_steps) * 1000.0 / dt;
}

RunSummary start_summary(const char* backend, std::uint64_t first_step, double dt, const RunOptions& options) {
  RunSummary sum;
  sum.backend = backend;
  sum.first_step = first_step;
  sum.dt = dt;
  sum.equilibration_steps = options.equilibration_steps;
  sum.recorded_steps = options.steps;
  return sum;
}

void finish_summary(RunSummary& sum, const RunCounters& c, std::int64_t steps_run, std::int64_t equilibration,
                    std::size_t slots) {
  sum.steps_run = steps_run;
  sum.synaptic_events = c.events;
  sum.spiking_neuron_steps = c.scattered;
  sum.recorded_spike_count = c.recorded_spikes;
  sum.rate_capped = c.capped;
  sum.counts_saturated = c.saturated;
  sum.recorded_steps = std::max<std::int64_t>(0, steps_run - equilibration);
  sum.recorded_neuron_steps = static_cast<std::uint64_t>(sum.recorded_steps) * slots;
  sum.mean_rate_hz = mean_rate_hz(sum.recorded_spike_count, sum.recorded_neuron_steps, sum.dt);
}

void accumulate(RunSummary& s, const RunSummary& part) {
  s.threads = std::max(s.threads, part.threads);
  s.recorded_neuron_steps += part.recorded_neuron_steps;
  s.recorded_spike_count += part.recorded_spike_count;
  s.spiking_neuron_steps += part.spiking_neuron_steps;
  s.synaptic_events += part.synaptic_events;
  s.rate_capped += part.rate_capped;
  s.counts_saturated += part.counts_saturated;
  s.wall_seconds += part.wall_seconds;
  s.ranks = std::max(s.ranks, part.ranks);
  s.exchange_seconds += part.exchange_seconds;
  s.exchange_bytes += part.exchange_bytes;
  s.mean_rate_hz = mean_rate_hz(s.recorded_spike_count, s.recorded_neuron_steps, s.dt);
}

std::string exception_text(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace cascade::engine
