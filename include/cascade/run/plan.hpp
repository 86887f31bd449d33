// Run plans: what a simulate, tune or generate run will do, built from its
// settings and checked before anything runs or any output is touched. Every
// front end plans through these and runs the plan (run/execute.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cascade/dataset.hpp"
#include "cascade/engine/engine.hpp"
#include "cascade/fit.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/raster.hpp"
#include "cascade/run/settings.hpp"
#include "cascade/stimulus.hpp"
#include "cascade/tune.hpp"

namespace cascade::run {

/// A tuned-parameters file written by cascade tune (--output-params).
struct ParamsFile {
  std::string model;
  std::vector<std::pair<std::string, double>> params;
  std::vector<std::string> stimulus_specs;
  std::vector<std::string> stimulus_masks;  // "all" or a path, per stimulus
};
ParamsFile read_params_file(const std::string& path);

/// The model (from --model, or the parameters file's, checked to agree), its
/// parameters (the file's, then --param), and the stimuli (--stimulus when
/// given, else the file's), checked against a dataset of `networks` networks.
struct ModelSetup {
  AnyModel model;
  std::vector<Stimulus> stimuli;
  std::vector<std::string> stimulus_specs;  // as given, for provenance
};
ModelSetup model_setup(const Settings& s, std::size_t networks, const std::string& network_label);

/// The networks of --weights PATH or --generate KIND:n=N,count=K,seed=S,NAME=VALUE,...
struct NetworkPlan {
  NetworkSource source;
  std::string label;  // what to print and record
};
NetworkPlan network_plan(const Settings& s);

/// --record-neurons: "all", ranges "0-99,200,300-310" (inclusive), or a .npy
/// of integer indices; checked against `total`, ascending without repeats.
std::vector<std::uint32_t> parse_neuron_selection(const std::string& spec, std::size_t total);

struct SimulationPlan {
  Settings settings;                     // what it was planned from (provenance, checkpoints)
  NetworkPlan networks;
  std::vector<std::size_t> first_neuron;  // [networks + 1]: each network's first global neuron
  ModelSetup setup;
  SimulatorOptions options;
  std::int64_t steps = 0, equilibration = 0;
  std::size_t batch_size = 0;            // networks simulated together
  std::int64_t chunk_steps = 0;          // 0: sized from memory
  RecordDtype dtype = RecordDtype::kUInt8;
  std::vector<std::uint32_t> neurons;    // recorded neurons (empty: all)
  std::string neurons_text = "all";      // as given
  std::int64_t window_begin = 0, window_end = 0;
  std::vector<std::string> npy_outputs, h5_outputs;
  std::string input_output, rate_output;  // empty: not recorded
  bool force = false;
  std::string checkpoint;                // empty: none
  std::int64_t checkpoint_every = 0;     // 0: every chunk
  std::string save_state, load_state;    // --save-state / --load-state (empty: none)

  bool records() const { return !npy_outputs.empty() || !h5_outputs.empty() || !input_output.empty() || !rate_output.empty(); }
  std::size_t network_count() const { return first_neuron.size() - 1; }
  std::size_t total_neurons() const { return first_neuron.back(); }
  std::size_t recorded_neurons() const { return neurons.empty() ? total_neurons() : neurons.size(); }
  std::size_t window() const { return static_cast<std::size_t>(window_end - window_begin); }
  std::size_t batches() const { return (network_count() + batch_size - 1) / batch_size; }
};
/// `resuming`: the run continues from a checkpoint (its outputs and the
/// checkpoint itself exist already).
SimulationPlan plan_simulation(const Settings& s, bool resuming = false);

struct TunePlan {
  Settings settings;
  NetworkPlan networks;
  ModelSetup setup;
  TuneOptions tune;
  TuneCheckOptions check;
  SimulatorOptions options;
  std::vector<std::string> names;  // the tuned parameters, resolved
  std::string output;              // --output-params (empty: none)
};
TunePlan plan_tune(const Settings& s);

/// cascade fit: the spikes, the model that made them (parameters fixed),
/// the candidate edges (a file's pattern, screened, or every pair), the
/// truth to compare with, the optimiser's options and the output.
struct FitPlan {
  Settings settings;
  ModelSetup setup;
  FitOptions fit;
  std::string spikes, candidates, truth, output;
  std::size_t neurons = 0;     // from the spikes' header
  std::int64_t screen = 0;     // 0: not screened
};
FitPlan plan_fit(const Settings& s);

struct GeneratePlan {
  std::string kind;
  std::size_t n = 0, count = 1;
  std::uint64_t seed = 0;
  int threads = 0;
  std::string out;
  bool dense = true, float32 = true, force = false;
  std::vector<std::string> params;  // NAME=VALUE
};
GeneratePlan plan_generate(const Settings& s);

}  // namespace cascade::run
