// Pieces shared by the simulate and tune commands.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "args.hpp"
#include "cascade/cascade.hpp"

namespace cascade::cli {

/// --stimulus / --stimulus-mask, checked against a dataset of `networks`
/// networks read from `weights`.
std::vector<Stimulus> stimuli_from_args(const Args& args, std::size_t networks, const std::string& weights);
/// Per-network masks and loaded values must number 1 or `networks`.
void check_stimulus_counts(const std::vector<Stimulus>& stimuli, std::size_t networks, const std::string& weights);

/// Refuses an existing file (unless force) or a missing directory.
/// --backend, --gpu-strategy and --device (simulate and tune) into `opt`.
void backend_options_from_args(const Args& args, SimulatorOptions& opt);

void check_output_path(const std::string& path, const std::string& extension, bool force, const char* option);

/// A tuned-parameters file written by `cascade tune` (--output-params).
struct ParamsFile {
  std::string model;
  std::vector<std::pair<std::string, double>> params;
  std::vector<std::string> stimulus_specs;
  std::vector<std::string> stimulus_masks;  // "all" or a path, per stimulus
};
ParamsFile read_params_file(const std::string& path);

/// The model (from --model, or the params file's, checked to agree), its
/// parameters (the file's, then --param), and the stimuli (--stimulus when
/// given, else the file's).
struct ModelSetup {
  AnyModel model;
  std::vector<Stimulus> stimuli;
  std::vector<std::string> stimulus_specs;  // as given, for provenance
};
ModelSetup model_setup_from_args(const Args& args, std::size_t networks, const std::string& weights);

/// A seeded generator by kind (normal, uniform, mexican_hat, sparse) and
/// NAME=VALUE items (cascade generate's --param); validated when built.
std::function<Network(std::uint32_t)> make_generator(const std::string& kind, std::size_t n,
                                                     const std::vector<std::string>& items, std::uint64_t seed,
                                                     int threads);

/// The networks of --weights PATH or --generate KIND:n=N,count=K,seed=S,NAME=VALUE,...
/// (exactly one); `label` is set to what to print and record.
NetworkSource network_source_from_args(const Args& args, int threads, std::string* label);

/// --record-neurons: "all", ranges "0-99,200,300-310" (inclusive), or a .npy
/// of integer indices; checked against `total`, returned ascending without
/// repeats.
std::vector<std::uint32_t> parse_neuron_selection(const std::string& spec, std::size_t total);

/// The CPU's model name (/proc/cpuinfo), for provenance ("unknown" if unreadable).
std::string host_cpu_name();

/// The opening of every output's provenance JSON: "{", version, git hash, RNG
/// stream, the command line (after run-file expansion), the run file and its text.
std::string provenance_prefix(const std::string& command, const std::vector<std::string>& argv,
                              const std::string& run_path, const std::string& run_text);
/// ISO 8601 UTC time, e.g. 2026-11-26T09:30:00Z.
std::string utc_time_text(std::chrono::system_clock::time_point t);

/// Writes text to path via path.tmp and a rename.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace cascade::cli
