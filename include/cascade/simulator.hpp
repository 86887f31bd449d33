// The simulator: a model, a batch of networks, replicas, a seed and a backend.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cascade/extend/cpu_engine.hpp"
#include "cascade/engine/engine.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/network.hpp"
#include "cascade/raster.hpp"
#include "cascade/stimulus.hpp"

namespace cascade {

struct SimulationResult {
  Raster raster;  // [replicas, recorded neurons, recorded window]; empty when not recorded
  std::vector<float> input;  // g of the recorded neuron-steps (RunOptions::record_input), raster's layout
  std::vector<float> rate;   // phi(g) (RunOptions::record_rate), raster's layout
  std::vector<std::uint32_t> neurons;  // the recorded neurons (global indices of the batch)
  // The rows of `neurons` this process holds, [rows_begin, rows_end): all of
  // them, except on a distributed run's ranks, which hold their own (rank 0
  // all of them when RunOptions::gather_recording). Raster row k is row
  // first_row + k of `neurons`: with gather_recording (the default) the
  // raster has a row for every recorded neuron (those not held are zero);
  // without, each rank's raster holds its own rows alone (first_row =
  // rows_begin), so that its memory falls with the number of ranks.
  std::size_t rows_begin = 0, rows_end = 0, first_row = 0;
  RunSummary summary;
};

class Simulator {
 public:
  /// A built-in model on a batch of networks (different sizes allowed; each
  /// keeps its instance id, which keys its random streams).
  Simulator(const AnyModel& model, std::vector<Network> networks, const SimulatorOptions& options = {});
  /// Networks shared with other simulators (no copy).
  Simulator(const AnyModel& model, std::vector<std::shared_ptr<const Network>> networks,
            const SimulatorOptions& options = {});

  /// Any model type satisfying models/model_api.hpp (the extension point).
  /// On the CPU: a user model on the GPU needs CUDA compilation, see
  /// with_engine and kernels/gpu_engine.cuh (make_gpu_engine_for).
  template <class Model>
  static Simulator with_model(const Model& model, std::vector<Network> networks,
                              const SimulatorOptions& options = {}) {
    if (options.backend == Backend::kGpu)
      throw Error(std::string("model '") + Model::kName +
                  "': a user model runs on the GPU through Simulator::with_engine and "
                  "make_gpu_engine_for (kernels/gpu_engine.cuh, compiled by nvcc); with_model runs it on the CPU");
    Simulator s(std::move(networks), options);
    s.engine_ = make_cpu_engine(model, s.networks_, s.options_);
    return s;
  }

  /// Any engine, made by `factory` from the simulator's networks and options
  /// (e.g. a user model's GPU engine).
  using EngineFactory = std::function<std::unique_ptr<Engine>(const std::vector<std::shared_ptr<const Network>>&,
                                                             const SimulatorOptions&)>;
  static Simulator with_engine(std::vector<Network> networks, const SimulatorOptions& options,
                               const EngineFactory& factory);

  /// Draws a fresh initial state, runs `equilibration_steps` unrecorded
  /// steps, then records `steps` steps (the reference's simulate()).
  SimulationResult simulate(std::int64_t steps, std::int64_t equilibration_steps = 100,
                            RecordDtype dtype = RecordDtype::kUInt8, ProgressCallback progress = {});
  /// Full control (continue from the current state, no recording, ...).
  SimulationResult run(const RunOptions& options);
  /// Runs unrecorded steps from the current state (the reference's equilibrate()).
  /// The summary treats them as the run's window: its recorded_* fields and
  /// mean_rate_hz describe these steps, though no raster is kept.
  RunSummary equilibrate(std::int64_t steps, ProgressCallback progress = {});

  void reset_random_state() { engine_->reset_random_state(); }
  void set_initial_spikes(std::span<const std::uint8_t> counts) { engine_->set_initial_spikes(counts); }
  void set_initial_activation(std::span<const double> s) { engine_->set_initial_activation(s); }
  /// g and phi(g) at the next step, [replicas * total neurons], without
  /// advancing; stimuli evaluated at `stimulus_time` (kStimulusOff: none).
  void inspect(std::vector<double>* input, std::vector<double>* rate, std::int64_t stimulus_time = kStimulusOff);

  /// Stimuli (they add up), off during equilibration; t = 0 is the first
  /// recorded step. Masks and loaded values are matched to the networks by
  /// instance id. Poisson plans are drawn from the simulator's seed.
  void set_stimuli(std::vector<Stimulus> stimuli);
  const std::vector<Stimulus>& stimuli() const { return stimuli_; }
  /// "stimulusK.name" (see list_stimulus_params); rebuilds the stimuli.
  void set_stimulus_param(std::string_view name, double value);

  /// The engine's state between steps, and restoring it (checkpoints). A
  /// state saved on one backend loads into the other.
  EngineState save_state() const { return engine_->save_state(); }
  void load_state(const EngineState& state) { engine_->load_state(state); }

  std::uint64_t current_step() const { return engine_->current_step(); }
  std::string backend() const { return engine_->backend_name(); }
  double dt() const { return engine_->dt(); }
  std::size_t total_neurons() const;
  std::size_t total_synapses() const;
  std::uint32_t replicas() const { return options_.replicas; }
  const SimulatorOptions& options() const { return options_; }
  const std::vector<std::shared_ptr<const Network>>& networks() const { return networks_; }
  /// Bytes a dense recording of `steps` steps takes.
  std::uint64_t raster_bytes(std::int64_t steps, RecordDtype dtype) const;
  /// Throws when a dense recording of `steps` steps would not fit in memory.
  void check_recording(std::int64_t steps, RecordDtype dtype) const;

 private:
  Simulator(std::vector<Network> networks, const SimulatorOptions& options);
  std::unique_ptr<Engine> make_engine(const AnyModel& model) const;
  std::vector<std::shared_ptr<const Network>> networks_;
  SimulatorOptions options_;
  /// Poisson events planned for stimulus times before `until` (false: `stop` came first).
  bool plan_stimuli(std::int64_t until, const std::atomic<bool>* stop);
  std::unique_ptr<Engine> engine_;
  std::vector<Stimulus> stimuli_;
  std::int64_t planned_until_ = 0;  // the engine's stimulus table holds times before this
};

}  // namespace cascade
