// The shared engine layer: what the CPU and GPU engines have in common and
// write once — the batch layout, the state's shape, the run checks and their
// messages, and the run summary. Both engines (and a partitioned one) are
// built on it; an engine adds only how it steps.
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/extend/neuron_update.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/network.hpp"

namespace cascade::engine {

using Networks = std::vector<std::shared_ptr<const Network>>;

/// The batch as every engine lays it out. Units = replica x network,
/// replica-major (`for r: for net:`); unit (r, n) owns the slots
/// r * total_neurons + net_offset[n] + i, which is also the layout of
/// set_initial_spikes, set_initial_activation, inspect, EngineState and the
/// recording's [replica, global neuron] axes.
struct BatchLayout {
  struct Unit {
    std::uint32_t replica;   // absolute replica index (offset included)
    std::uint32_t net;       // index into the batch
    std::size_t slot_base;   // first slot of this unit
  };
  std::vector<Unit> units;
  std::vector<std::size_t> net_offset;  // first global neuron of each network
  std::size_t total_neurons = 0;        // per replica
  std::size_t slots = 0;                // replicas * total_neurons
  std::size_t max_neurons = 0;          // the largest network
  std::uint64_t synapses = 0;           // of the batch (one replica)
  std::uint64_t max_synapses = 0;       // of its largest network

  /// The unit holding `slot` (units are in slot order).
  std::size_t unit_of(std::size_t slot) const;
};
BatchLayout make_batch_layout(const Networks& nets, const SimulatorOptions& opt);

/// The state's shape: the model's filters as the engines apply them.
struct EngineShape {
  FilterSpec spec;            // normalised: a truncated window of 0 lags is no coupling
  bool per_edge = false;      // the batch's networks carry per-edge filters
  std::size_t ring_len = 0;   // drive history (truncated exp) or future-drive ring (per-edge)
  std::size_t self_len = 0;   // own count history (self filter)
  FilterConsts consts;

  /// Values per slot of an array of this extent.
  std::size_t per_slot(StateExtent e) const {
    return e == StateExtent::kRing ? ring_len : e == StateExtent::kSelf ? self_len : 1;
  }
  /// Bytes of the five state arrays for `slots` slots.
  std::uint64_t state_bytes(std::size_t slots) const;
};

/// A model's filters as the engines apply them: a truncated window of 0 lags
/// is no coupling.
FilterSpec normalised_filters(FilterSpec spec);
/// The shape for a model's filters on this batch (refuses filters longer
/// than kMaxHistory).
EngineShape make_engine_shape(const FilterSpec& spec, const Networks& nets, const char* model_name);
/// New values of a running engine's filters (tune's set_model): the kind and
/// lengths must stay those of `current` (the state's shape); else the error
/// names the model.
EngineShape reshape(const EngineShape& current, const FilterSpec& spec, const char* model_name);

/// dt of a model (1 where it has none).
template <class Model>
double model_dt(const Model& m) {
  if constexpr (requires { m.dt; }) return static_cast<double>(m.dt);
  else return 1.0;
}

// --- checks, with the one copy of their messages ---------------------------

/// The batch against the model and the options: networks given, replicas,
/// first step and replica range within the stream counter, no mixing of
/// per-edge and scalar networks, no self-coupling where the model keeps its
/// own diagonal, distinct instance ids.
void check_batch(const Networks& nets, const EngineShape& shape, bool allows_self_coupling, const char* model_name,
                 const SimulatorOptions& opt);
/// steps >= 1, equilibration >= 0, the run within the 2^40 stream steps.
void check_run_options(const RunOptions& options, std::uint64_t current_step);
/// Refuses `bytes` of host memory beyond 90 % of what is available.
void check_memory(std::uint64_t bytes, const char* what);
/// A saved state must match the engine it is loaded into.
void check_state(const EngineState& state, std::size_t slots, const EngineShape& shape);
void check_initial_spikes(std::span<const std::uint8_t> counts, std::size_t slots);
void check_initial_activation(std::span<const double> activation, std::size_t slots, const EngineShape& shape,
                              const char* model_name);
void check_inspect_time(std::int64_t stimulus_time);
/// The message of a caught exception ("unknown error" for non-standard ones).
std::string exception_text(const std::exception_ptr& e);
/// Throws the non-finite-rate error for `slot` at global `step`.
[[noreturn]] void throw_non_finite(const BatchLayout& layout, const Networks& nets, std::uint64_t step,
                                   std::size_t slot, double g, double rate);

// --- the run summary -----------------------------------------------------

/// The counters an engine sums over a run.
struct RunCounters {
  std::uint64_t events = 0, scattered = 0, recorded_spikes = 0, capped = 0, saturated = 0;
  RunCounters& operator+=(const RunCounters& o) {
    events += o.events;
    scattered += o.scattered;
    recorded_spikes += o.recorded_spikes;
    capped += o.capped;
    saturated += o.saturated;
    return *this;
  }
};

/// recorded spikes / recorded neuron-steps * 1000 / dt (0 when nothing was recorded).
double mean_rate_hz(std::uint64_t recorded_spikes, std::uint64_t recorded_neuron_steps, double dt);

/// The summary a run starts with (backend, first step, dt, requested steps).
RunSummary start_summary(const char* backend, std::uint64_t first_step, double dt, const RunOptions& options);
/// Fills the counters and the derived fields after `steps_run` steps were
/// simulated (equilibration first): recorded steps and neuron-steps, the mean rate.
void finish_summary(RunSummary& sum, const RunCounters& c, std::int64_t steps_run, std::int64_t equilibration,
                    std::size_t slots);
/// Adds the counters of `part` (a later chunk or batch of one run) to
/// `total` and recomputes the mean rate.
void accumulate(RunSummary& total, const RunSummary& part);

}  // namespace cascade::engine
