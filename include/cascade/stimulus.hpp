// Stimuli: the reference's four kinds (regular, poisson, sin, loaded), masks
// saying which neurons each reaches, and their tunable parameters.
//
// Time t counts steps from the first recorded step (t = 0); stimuli are off
// during equilibration. Several stimuli add up. Per-network data (masks,
// loaded values) is indexed by a network's instance id, i.e. its position in
// the dataset, so one description serves every batch of a dataset; a single
// entry applies to every network of matching size.
#pragma once
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cascade/models/registry.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus/stimulus_eval.hpp"

namespace cascade {

inline constexpr std::int64_t kNoStop = std::numeric_limits<std::int64_t>::max();

/// `strength` while t % period < tau and start <= t < stop (the phase is set by t).
struct RegularStimulus {
  double strength = 0.0;
  std::int64_t period = 1;   // steps, >= 1
  double tau = 0.0;          // steps, >= 0 (may be fractional, as the reference allows)
  std::int64_t start = 0;
  std::int64_t stop = kNoStop;
};

/// `strength` during [t_e, t_e + tau) for event times t_e = start + cumsum([0, k1, k2, ...]),
/// k ~ Poisson(mean_interval), at most `duration` intervals, kept while the
/// unshifted time < duration. One plan per stimulus, drawn from the seed.
struct PoissonStimulus {
  double strength = 0.0;
  std::int64_t mean_interval = 1;  // steps, >= 0
  std::int64_t duration = 0;       // steps, >= 0
  std::int64_t tau = 1;            // steps, >= 0
  std::int64_t start = 0;
};

/// amplitude * sin(2 pi / period * (t - start) * dt + phase) + baseline for
/// start <= t < duration (absolute), else 0. period in ms.
struct SinStimulus {
  double amplitude = 0.0;  // >= 0
  double period = 1.0;     // ms, > 0
  std::int64_t duration = 0;
  double phase = 0.0;
  double baseline = 0.0;
  double start = 0.0;
  double dt = 1.0;  // ms per step (the reference's default is 1 whatever the model's dt)
};

/// Values for one network: [steps][neurons] time-major; 0 past the end.
struct StimulusValues {
  std::size_t neurons = 0;
  std::size_t steps = 0;
  std::vector<double> data;
  std::string source;  // for messages
};

/// Values from files. One entry serves every network of its size; several
/// are indexed by instance id.
struct LoadedStimulus {
  std::vector<std::shared_ptr<const StimulusValues>> per_network;
  std::string source;  // the path it was loaded from (empty when built in memory)
};

using StimulusSpec = std::variant<RegularStimulus, PoissonStimulus, SinStimulus, LoadedStimulus>;

struct Stimulus {
  StimulusSpec spec;
  /// 0/1 per neuron. Empty: every neuron of every network; one mask: every
  /// network (of that size); several: indexed by instance id.
  std::vector<std::vector<std::uint8_t>> masks;
  std::string mask_source;  // for messages
};

const char* stimulus_kind_name(const StimulusSpec& spec);

/// Checks a stimulus's parameters; messages name `stimulusK.param`.
void validate_stimulus(const Stimulus& s, std::size_t index);

/// Parses the command-line form "KIND:key=value,..." (regular, poisson, sin)
/// or "loaded:PATH" (.npy [N, steps] or [N, steps, networks], or a directory
/// of per-network [N_k, steps] files in dataset order).
Stimulus parse_stimulus(std::string_view text);

/// The command-line form of a stimulus (parse_stimulus reads it back to the
/// same parameters; a loaded stimulus needs its source path).
std::string stimulus_spec_string(const Stimulus& s);

/// Loads stimulus values (see parse_stimulus's loaded form).
LoadedStimulus load_stimulus_values(const std::string& path);

/// Masks from a .npy (bool/uint8/int 0-1 [N] or [networks, N]) or a directory
/// of per-network [N_k] files in dataset order.
std::vector<std::vector<std::uint8_t>> load_stimulus_masks(const std::string& path);

/// Parameters of all stimuli, named "stimulusK.name"; tunable as the reference:
/// regular/poisson strength; sin amplitude, period, phase, baseline.
std::vector<ParamValue> list_stimulus_params(const std::vector<Stimulus>& stimuli);
/// Sets "stimulusK.name"; unknown names list the valid ones.
void set_stimulus_param(std::vector<Stimulus>& stimuli, std::string_view name, double value);

/// Plan every event (no horizon).
inline constexpr std::int64_t kPlanAll = std::numeric_limits<std::int64_t>::max();

/// The Poisson plan: event times (absolute steps, ascending) for stimulus
/// `index` of a simulation seeded with `seed` (counter-based: Purpose::kStimulus),
/// those before `horizon` only: the same times as the whole plan's, as far
/// as it goes. `stop` set: throws Stopped (checked every 65536 draws).
std::vector<std::int64_t> poisson_event_times(const PoissonStimulus& p, std::uint64_t seed, std::uint32_t index,
                                              std::int64_t horizon = kPlanAll,
                                              const std::atomic<bool>* stop = nullptr);

/// A batch's stimuli resolved against its networks: owns the arrays a
/// StimulusView points to.
class StimulusTable {
 public:
  StimulusTable() = default;
  /// Poisson events are planned for stimulus times before `horizon` (the
  /// engines evaluate no later time: an event after t does not change t).
  StimulusTable(const std::vector<Stimulus>& stimuli, const std::vector<std::shared_ptr<const Network>>& nets,
                std::uint64_t seed, std::int64_t horizon = kPlanAll, const std::atomic<bool>* stop = nullptr);
  /// Stimulus times this table holds exactly: t < horizon().
  std::int64_t horizon() const { return horizon_; }
  StimulusView view() const;
  bool empty() const { return params_.empty(); }
  std::uint32_t count() const { return static_cast<std::uint32_t>(params_.size()); }

  // The arrays, for copying to a device.
  const std::vector<StimulusParams>& params() const { return params_; }
  const std::vector<std::int64_t>& events() const { return events_; }
  const std::vector<std::uint8_t>& masks() const { return masks_; }
  const std::vector<std::int64_t>& mask_offset() const { return mask_offset_; }
  const std::vector<double>& loaded() const { return loaded_; }
  const std::vector<std::int64_t>& loaded_offset() const { return loaded_offset_; }
  const std::vector<std::int64_t>& loaded_steps() const { return loaded_steps_; }
  std::uint32_t n_nets() const { return n_nets_; }

 private:
  std::int64_t horizon_ = kPlanAll;
  std::uint32_t n_nets_ = 0;
  std::vector<StimulusParams> params_;
  std::vector<std::int64_t> events_;
  std::vector<std::uint8_t> masks_;
  std::vector<std::int64_t> mask_offset_;
  std::vector<double> loaded_;
  std::vector<std::int64_t> loaded_offset_;
  std::vector<std::int64_t> loaded_steps_;
};

}  // namespace cascade
