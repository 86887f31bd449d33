// tune for any tunable model type (models/model_api.hpp TunableModel): the
// built-in models' cascade::tune and a user model's tune_model share this one
// Adam loop. A user model runs on the CPU runner; a GPU runner made from a
// .cu file (kernels/gpu_tune.cuh) can be passed as the factory.
#pragma once
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cascade/error.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/simulator.hpp"
#include "cascade/stimulus.hpp"
#include "cascade/tune.hpp"
#include "cascade/extend/epoch_runner.hpp"
#include "cascade/stop.hpp"

namespace cascade {

/// tune's result for a model type.
template <class Model>
struct TuneResultOf {
  Model model;                       // tuned
  std::vector<Stimulus> stimuli;     // tuned
  std::vector<std::string> names;    // tuned parameters
  std::vector<double> initial, final;
  std::vector<TuneEpoch> history;
  std::string gradient_path;         // as TuneResult::gradient_path
  std::int64_t silent_epoch = -1;    // as TuneResult::silent_epoch
  std::string advice;                // as TuneResult::advice
};

/// The tunable parameters `selection` names for a model type (resolve_tunable).
template <class Model>
std::vector<std::string> resolve_tunable_of(const Model& model, const std::vector<Stimulus>& stimuli,
                                            const std::vector<std::string>& selection) {
  if constexpr (!TunableModel<Model>) refuse_untunable(Model::kName, not_tunable_reason<Model>());
  else return resolve_tunable(Model::kName, list_params(model), stimuli, selection);
}

/// record_epoch for any model type (on the CPU engine).
template <class Model>
SpikeRecord record_epoch_of(const Model& m, const std::vector<Network>& networks, const std::vector<Stimulus>& stimuli,
                            const SimulatorOptions& so, std::int64_t equilibration, std::int64_t steps) {
  Simulator sim = Simulator::with_model(m, networks, so);
  return record_epoch(sim, stimuli, m.filters().initial == InitialState::kRandomActivation, equilibration, steps);
}

/// Makes an epoch runner for (model, networks, options, tuned names,
/// equilibration, steps); the note says where it runs ("cpu tangent", ...).
template <class Model>
using EpochRunnerFactory = std::function<std::unique_ptr<tangent::EpochRunner<Model>>(
    const Model&, const std::vector<std::shared_ptr<const Network>>&, const SimulatorOptions&,
    const std::vector<std::string>&, std::int64_t, std::int64_t)>;

template <class Model>
std::unique_ptr<tangent::EpochRunner<Model>> make_cpu_epoch_runner(
    const Model& m, const std::vector<std::shared_ptr<const Network>>& nets, const SimulatorOptions& so,
    const std::vector<std::string>& names, std::int64_t equilibration, std::int64_t steps) {
  return std::make_unique<tangent::CpuEpochRunner<Model>>(m, nets, so, names, equilibration, steps);
}

namespace tangent {
/// A parameter's value (model or stimulus), and setting it.
template <class Model>
double value_of(const Model& m, const std::vector<Stimulus>& stimuli, const std::string& name) {
  for (const auto& p : name.rfind("stimulus", 0) == 0 ? list_stimulus_params(stimuli) : list_params(m))
    if (p.name == name) return p.value;
  throw Error("tune: unknown parameter '" + name + "'");
}
template <class Model>
void set_value(Model& m, std::vector<Stimulus>& stimuli, const std::string& name, double v) {
  if (name.rfind("stimulus", 0) == 0) set_stimulus_param(stimuli, name, v);
  else set_param(m, name, v);
}

/// One Adam step on (target - R)^2 (host/tune.cpp): the epoch's record and
/// the new values; `moments` holds Adam's state across epochs.
struct AdamState {
  std::vector<double> m, v;
  double b1t = 1.0, b2t = 1.0;
};
TuneEpoch adam_step(const TuneOptions& o, std::int64_t epoch, const ReplayValue& rv, std::vector<double>& values,
                    AdamState& state);
/// The first step of epoch e; throws when the epochs would pass the stream counter.
std::uint64_t epoch_first_step(const TuneOptions& o, std::uint64_t first_step, std::int64_t epoch);
/// "tune: epoch E: the Adam step left an invalid parameter (...)".
[[noreturn]] void invalid_step(std::int64_t epoch, const Error& e);
/// A silent network: rate 0 and every gradient 0 while the target is above 0.
bool is_silent(const TuneOptions& o, const TuneEpoch& epoch);
/// What went silent and what to try (the last step against each parameter's scale).
std::string silent_advice(const TuneOptions& o, const std::vector<std::string>& names,
                          const std::vector<TuneEpoch>& history);
}  // namespace tangent

/// Adam (beta1, beta2, epsilon) for `epochs` epochs on any tunable model.
/// Epoch e simulates from global step e * (equilibration + steps) with
/// options.seed, so each epoch sees fresh noise and the same seed gives the
/// same result for any thread count.
template <class Model>
TuneResultOf<Model> tune_model(const Model& model, const std::vector<Network>& networks,
                               const std::vector<Stimulus>& stimuli, const SimulatorOptions& options,
                               const TuneOptions& o, const TuneProgress& progress = {},
                               const EpochRunnerFactory<Model>& factory = make_cpu_epoch_runner<Model>) {
  validate_tune_options(o);
  model.validate();
  TuneResultOf<Model> res{model, stimuli, {}, {}, {}, {}, {}, -1, {}};
  for (std::size_t k = 0; k < stimuli.size(); ++k) validate_stimulus(stimuli[k], k);
  res.names = resolve_tunable_of(model, stimuli, o.selection);
  for (const auto& n : res.names) res.initial.push_back(tangent::value_of(res.model, res.stimuli, n));
  tangent::epoch_first_step(o, options.first_step, o.epochs - 1);  // the last epoch fits the counter
  // The networks are shared by the runner's engine (no copies).
  std::vector<std::shared_ptr<const Network>> shared;
  for (const auto& n : networks) shared.push_back(std::make_shared<const Network>(n));
  const auto runner = factory(res.model, shared, options, res.names, o.equilibration, o.steps);
  res.gradient_path = std::string(runner->backend()) + " tangent";
  if (runner->runs_per_epoch() > 1)
    res.gradient_path += ", " + std::to_string(runner->runs_per_epoch()) + " runs per epoch (the tap is split)";
  std::vector<double> value = res.initial;
  tangent::AdamState adam;
  for (std::int64_t e = 0; e < o.epochs; ++e) {
    if (const std::atomic<bool>* stop = current_stop(); stop && stop->load())
      throw Stopped("stopped while tuning, after " + std::to_string(e) + " of " + std::to_string(o.epochs) + " epochs");
    const ReplayValue rv = runner->run(res.model, res.stimuli, tangent::epoch_first_step(o, options.first_step, e));
    const std::vector<double> used = value;
    TuneEpoch ep = tangent::adam_step(o, e, rv, value, adam);
    if (tangent::is_silent(o, ep)) {
      // No gradient can bring it back: stop here, at the values that went silent.
      res.history.push_back(std::move(ep));
      res.silent_epoch = e;
      res.advice = tangent::silent_advice(o, res.names, res.history);
      if (progress) progress(res.history.back(), o.epochs);
      value = used;
      break;
    }
    try {
      for (std::size_t q = 0; q < res.names.size(); ++q) tangent::set_value(res.model, res.stimuli, res.names[q], value[q]);
      res.model.validate();
      for (std::size_t k = 0; k < res.stimuli.size(); ++k) validate_stimulus(res.stimuli[k], k);
    } catch (const Error& err) {
      tangent::invalid_step(e, err);
    }
    res.history.push_back(std::move(ep));
    if (progress) progress(res.history.back(), o.epochs);
  }
  res.final = value;
  return res;
}

}  // namespace cascade
