// tune's epochs on one engine that lives across epochs: each epoch the engine
// simulates from a fresh random state with the current parameters while it
// copies g, S, its drive and its spikes into a tap (EpochTap), then the
// tangent pass (tangent.hpp) forms the objective and its gradient from the
// tap. Against recording the spikes and replaying them (Replay), this saves
// the replay's second scatter, the engine's construction per epoch and, on
// the GPU, every host round trip but one small copy per epoch.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus.hpp"
#include "cascade/tune.hpp"
#include "cascade/tune/replay_math.hpp"

namespace cascade::replay {

class EpochRunner {
 public:
  virtual ~EpochRunner() = default;
  /// One epoch with these parameter values, from global step `first_step`:
  /// a fresh random initial state, `equilibration` steps with the stimulus
  /// off, `steps` steps with stimulus time 0 at the first. Returns R and
  /// dR/dθ for the runner's parameters (their order), as Replay::evaluate
  /// would on the same spikes (to rounding). Throws as the simulation would
  /// on a non-finite rate.
  virtual ReplayValue run(const AnyModel& model, const std::vector<Stimulus>& stimuli, std::uint64_t first_step) = 0;
  virtual const char* backend() const = 0;
};

/// Bytes a tap of `slots` neuron slots over `steps` steps takes.
inline std::uint64_t tap_bytes(std::uint64_t slots, std::uint64_t steps) { return slots * (steps * 25 + 1); }

/// The runner tune uses for these options, or null where the tap does not fit
/// (tune then records and replays each epoch instead). `names`: the tuned
/// parameters, already resolved.
std::unique_ptr<EpochRunner> make_epoch_runner(const AnyModel& model,
                                               const std::vector<std::shared_ptr<const Network>>& nets,
                                               const SimulatorOptions& options, const std::vector<std::string>& names,
                                               std::int64_t equilibration, std::int64_t steps);

/// The GPU runner (kernels/gpu_tune.cu), or null where it does not apply
/// (more than kMaxSlots parameters, a self filter longer than kMaxSelf, a tap
/// larger than a quarter of the free device memory).
std::unique_ptr<EpochRunner> make_gpu_epoch_runner(const AnyModel& model,
                                                   const std::vector<std::shared_ptr<const Network>>& nets,
                                                   const SimulatorOptions& options,
                                                   const std::vector<std::string>& names, std::int64_t equilibration,
                                                   std::int64_t steps);

/// A parameter name as the replay differentiates it ("theta", "stimulus0.strength", ...).
Slot parse_slot(const std::string& name);

/// R and dR/dθ from the sums over every neuron-step of the window.
inline ReplayValue value_from_sums(double phi, double kink, const std::vector<double>& dphi, double dt,
                                   std::uint64_t neuron_steps) {
  ReplayValue v;
  const double scale = 1000.0 / dt / static_cast<double>(neuron_steps);
  v.rate_hz = phi * scale;
  v.min_kink_distance = kink;
  v.gradient.resize(dphi.size());
  for (std::size_t q = 0; q < dphi.size(); ++q) v.gradient[q] = dphi[q] * scale;
  return v;
}

}  // namespace cascade::replay
