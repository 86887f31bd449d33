// tune: match a target firing rate with Adam on a hand-written gradient.
//
// Objective (design.md section 6, the reference's tune with fix 4):
//   L = (target_hz - R)^2,  R = mean_{i,t} phi(g_i(t)) * 1000 / dt
// over every neuron of every network and replica and the n recorded steps of
// an epoch; spikes are sampled, not differentiated. The gradient is written
// by hand: φ(g) and its derivatives (tangent recursions for the filter and
// activation time constants), one pass for all parameters, from the model's
// own derivatives (models/model_api.hpp TunableModel) and the engine's own
// per-step values (tune/epoch_runner.hpp, tune/tangent.hpp), one engine
// across epochs. `Replay` runs the same pass over spikes given from outside.
// A user model is tuned through tune/tune_model.hpp.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus.hpp"

namespace cascade {

/// The tunable parameters a selection names: "all", "model", "stimulus" or
/// a list of names (model parameters by name, stimulus ones as
/// "stimulusK.name"). Errors list the valid names; a model without the
/// derivatives tune needs is refused, saying why (ThresholdSAM: an identity
/// non-linearity, so its expected "rate" is not a rate).
std::vector<std::string> resolve_tunable(const AnyModel& model, const std::vector<Stimulus>& stimuli,
                                         const std::vector<std::string>& selection);
/// The same for the parameters `params` of a model named `model_name`.
std::vector<std::string> resolve_tunable(const std::string& model_name, const std::vector<ParamValue>& params,
                                         const std::vector<Stimulus>& stimuli,
                                         const std::vector<std::string>& selection);
/// Throws "tune: NAME cannot be tuned: REASON".
[[noreturn]] void refuse_untunable(const char* model_name, const std::string& reason);

/// Spikes of one epoch for a replay: counts [replicas][total neurons][steps]
/// (the whole epoch: equilibration, then the objective's window), and the
/// initial state the epoch started from.
struct SpikeRecord {
  std::size_t replicas = 0, neurons = 0, steps = 0;
  std::size_t window_start = 0;              // first step of the objective's window (= equilibration)
  std::vector<std::uint8_t> counts;          // [replicas][neurons][steps]
  std::vector<std::uint8_t> initial_spikes;  // [replicas * neurons]: x(-1) (spike-history models)
  std::vector<double> initial_activation;    // [replicas * neurons]: s(0) (activation models)
  std::uint8_t at(std::size_t r, std::size_t i, std::size_t t) const { return counts[(r * neurons + i) * steps + t]; }
};

/// Simulates one epoch as tune does (a fresh initial state drawn at
/// so.first_step, `equilibration` steps with the stimulus off, then `steps`
/// with stimulus time 0 at the first) and keeps every spike.
SpikeRecord record_epoch(const AnyModel& model, const std::vector<Network>& networks,
                         const std::vector<Stimulus>& stimuli, const SimulatorOptions& so, std::int64_t equilibration,
                         std::int64_t steps);
SpikeRecord record_epoch(const AnyModel& model, const std::vector<std::shared_ptr<const Network>>& networks,
                         const std::vector<Stimulus>& stimuli, const SimulatorOptions& so, std::int64_t equilibration,
                         std::int64_t steps);
class Simulator;
/// The same on a simulator already made (any model type; `activation`: the
/// model starts from an activation, not from spikes).
SpikeRecord record_epoch(Simulator& sim, const std::vector<Stimulus>& stimuli, bool activation,
                         std::int64_t equilibration, std::int64_t steps);

struct ReplayValue {
  double rate_hz = 0.0;           // R
  std::vector<double> gradient;   // dR / d(parameter), in the order of the names (empty unless asked)
  double min_kink_distance = 0.0;  // smallest |g - theta| seen (relu models; +inf otherwise)
};

/// The objective as a function of the parameters with the spikes held fixed:
/// the CPU engine runs the record's epoch from its initial state with its
/// emitted counts replaced by the record's, and the tangent pass gives R and
/// dR/dθ (finite-difference checks of tune's gradient).
class Replay {
 public:
  Replay(std::vector<Network> networks, SpikeRecord record, std::uint64_t stimulus_seed, int threads = 0);
  Replay(std::vector<std::shared_ptr<const Network>> networks, SpikeRecord record, std::uint64_t stimulus_seed,
         int threads = 0);
  /// R (and dR/dθ for `names` when `gradient`) at the given parameters. One
  /// pass over the record whatever the number of parameters.
  ReplayValue evaluate(const AnyModel& model, const std::vector<Stimulus>& stimuli,
                       const std::vector<std::string>& names, bool gradient) const;
  /// Passes made so far (the gradient costs one, not 2P).
  std::uint64_t passes() const { return passes_; }
  const SpikeRecord& record() const { return record_; }
  const std::vector<std::shared_ptr<const Network>>& networks() const { return nets_; }

 private:
  std::vector<std::shared_ptr<const Network>> nets_;
  SpikeRecord record_;
  std::uint64_t stimulus_seed_;
  int threads_;
  mutable std::uint64_t passes_ = 0;
};

struct TuneOptions {
  double target_hz = 10.0;
  std::vector<std::string> selection{"all"};
  double lr = 0.1;                    // Adam learning rate (the reference's default)
  std::int64_t epochs = 100;          // the reference's default
  std::int64_t steps = 100;           // recorded steps per epoch (the reference's default)
  std::int64_t equilibration = 10;    // unrecorded steps first (the reference's tune uses 10)
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};

struct TuneEpoch {
  std::int64_t epoch = 0;
  double loss = 0.0;
  double rate_hz = 0.0;              // R of this epoch (before its update)
  std::vector<double> values;        // parameter values used in this epoch
  std::vector<double> gradient;      // dL/dθ
};

struct TuneResult {
  AnyModel model;                    // tuned, ready to simulate
  std::vector<Stimulus> stimuli;     // tuned
  std::vector<std::string> names;    // tuned parameters
  std::vector<double> initial, final;
  std::vector<TuneEpoch> history;
  /// How the gradients were formed: "cpu tangent" or "gpu tangent" (one
  /// engine across epochs, the gradient from its tap), with a note when an
  /// epoch runs more than once (its tap split) or the GPU could not take it.
  std::string gradient_path;
  /// The epoch at which the network went silent (rate 0 Hz and every
  /// gradient 0 while the target is above 0: nothing can bring it back), at
  /// which tune stopped; -1: it did not. `advice` then says what to try.
  std::int64_t silent_epoch = -1;
  std::string advice;
};

/// How the end of a tune is checked: a run of `steps` recorded steps (0:
/// enough for about 10^4 spikes at the target, at least 10 epochs' worth,
/// at most 10^5) with the tuned parameters must reach the target within
/// max(tolerance x target, tolerance_hz), plus 3 standard errors of its rate.
struct TuneCheckOptions {
  std::int64_t steps = 0;
  double tolerance = 0.1;     // relative
  double tolerance_hz = 0.5;  // absolute floor (a 0 Hz target is checked too)
};

struct TuneCheck {
  std::int64_t steps = 0, equilibration = 0;
  double rate_hz = 0.0, standard_error_hz = 0.0;  // the standard error treats spikes as Poisson counts
  double target_hz = 0.0, allowed_hz = 0.0;
  bool within = false;
  std::string advice;  // what to try when not within
};

/// The rate of a longer run with the tuned model and stimuli, from fresh
/// noise (the random streams after the tune's epochs), against the target.
TuneCheck check_tuned_rate(const TuneResult& result, const std::vector<Network>& networks,
                           const SimulatorOptions& options, const TuneOptions& tune_options,
                           const TuneCheckOptions& check = {});

/// Checks target, lr, epochs, steps, equilibration and Adam's constants.
void validate_tune_options(const TuneOptions& o);

using TuneProgress = std::function<void(const TuneEpoch&, std::int64_t epochs)>;

/// Adam (beta1, beta2, epsilon) for `epochs` epochs. Epoch e simulates
/// from global step e * (equilibration + steps) with options.seed, so each
/// epoch sees fresh noise and the same seed gives the same result for any
/// thread count; Poisson stimulus plans stay fixed (they follow the seed).
TuneResult tune(const AnyModel& model, const std::vector<Network>& networks, const std::vector<Stimulus>& stimuli,
                const SimulatorOptions& options, const TuneOptions& tune_options, const TuneProgress& progress = {});

}  // namespace cascade
