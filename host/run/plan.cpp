// Run plans from settings (run/plan.hpp): every option read, typed and
// checked, the networks listed, the model and stimuli built and validated,
// the recording selection and the output paths checked — in that order, so
// that nothing is touched before everything is known to be valid.
#include "cascade/run/plan.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <fstream>
#include <limits>
#include <sstream>

#include "cascade/error.hpp"
#include "core/parse.hpp"
#include "core/limits.hpp"
#include "cascade/generators.hpp"
#include "cascade/npy.hpp"
#include "paths.hpp"

namespace fs = std::filesystem;

namespace cascade::run {

namespace {

/// Where a JSON parse error sits: "file:line: what".
[[noreturn]] void json_parse_failure(const std::string& path, const std::string& text, const nlohmann::json::parse_error& e) {
  std::size_t line = 1;
  for (std::size_t k = 0; k + 1 < e.byte && k < text.size(); ++k) line += text[k] == '\n';
  std::string what = e.what();
  const std::size_t colon = what.find(": ", what.find("column"));
  if (colon != std::string::npos) what = what.substr(colon + 2);
  throw Error(path + ":" + std::to_string(line) + ": " + what);
}

const char* json_kind(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

const nlohmann::json& member(const nlohmann::json& j, const char* key, bool (nlohmann::json::*is)() const noexcept,
                             const char* want, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) throw Error(where + ": missing \"" + key + "\" (" + want + ")");
  if (!((*it).*is)()) throw Error(where + ": \"" + key + "\" must be " + want + ", not " + json_kind(*it));
  return *it;
}

std::vector<Stimulus> build_stimuli(const std::vector<std::string>& specs, const std::vector<std::string>& masks) {
  std::vector<Stimulus> stimuli;
  for (const auto& spec : specs) stimuli.push_back(parse_stimulus(spec));
  if (masks.size() > stimuli.size())
    throw Error("--stimulus-mask is given " + std::to_string(masks.size()) + " times but --stimulus only " +
                std::to_string(stimuli.size()) + " (one mask per stimulus, in order)");
  for (std::size_t k = 0; k < masks.size(); ++k) {
    if (masks[k] == "all") continue;
    stimuli[k].masks = load_stimulus_masks(masks[k]);
    stimuli[k].mask_source = masks[k];
  }
  return stimuli;
}

/// Per-network masks and loaded values must number 1 or `K`.
void check_stimulus_counts(const std::vector<Stimulus>& stimuli, std::size_t K, const std::string& weights) {
  for (std::size_t k = 0; k < stimuli.size(); ++k) {
    const auto& s = stimuli[k];
    if (s.masks.size() > 1 && s.masks.size() != K)
      throw Error("--stimulus-mask '" + s.mask_source + "' holds " + std::to_string(s.masks.size()) +
                  " masks; expected 1 (every network) or " + std::to_string(K) + " (one per network of '" + weights +
                  "')");
    if (const auto* l = std::get_if<LoadedStimulus>(&s.spec))
      if (l->per_network.size() != 1 && l->per_network.size() != K)
        throw Error("stimulus" + std::to_string(k) + " (loaded from '" + l->source + "') holds values for " +
                    std::to_string(l->per_network.size()) + " networks; expected 1 (every network) or " +
                    std::to_string(K) + " (one per network of '" + weights + "')");
  }
}

/// A stray argument; after a NAME=VALUE option given as NAME VALUE, the hint.
void refuse_positional(const Settings& s, const char* command) {
  if (s.positional.empty()) return;
  for (const char* option : {"param", "stimulus"})
    for (const Setting* p : s.all(option))
      if (p->text && text_of(*p).find_first_of("=:") == std::string::npos)
        throw Error("--" + std::string(option) + " '" + text_of(*p) + "': expected " +
                    (option[0] == 'p' ? "NAME=VALUE in one argument (--param " + text_of(*p) + "=" + s.positional.front() +
                                            ")"
                                      : std::string("KIND:key=value,... (see --help)")));
  throw Error(std::string(command) + ": unexpected argument '" + s.positional.front() + "' (see --help)");
}

/// One model parameter setting: a command-line NAME=VALUE, or a run file's
/// name and number.
void apply_param(AnyModel& model, const Setting& s) {
  if (!s.text) {
    try {
      set_param(model, s.name, number_of(s));
    } catch (const Error& e) {
      throw Error(s.origin + ": " + e.what());
    }
    return;
  }
  set_param_assignment(model, text_of(s));
}

/// Refuses an existing file (unless force), a missing directory or another extension.
void check_output_path(const std::string& path, const std::string& extension, bool force, const char* option) {
  const fs::path out(path);
  if (out.extension() != extension)
    throw Error(std::string(option) + " '" + path + "': expected a " + extension + " file name");
  std::error_code ec;
  if (fs::symlink_status(out, ec).type() != fs::file_type::not_found && !force) throw Error(std::string(option) + " '" + path + "' exists; pass --force to overwrite it");
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    throw Error(std::string(option) + " '" + path + "': directory '" + dir.string() + "' does not exist");
}

void backend_options(const Settings& s, SimulatorOptions& opt) {
  opt.replicas = static_cast<std::uint32_t>(s.integer("replicas"));
  opt.seed = s.unsigned_integer("seed");
  opt.threads = static_cast<int>(s.integer("threads"));
  opt.backend = parse_backend(s.text("backend"));
  opt.gpu_strategy = parse_gpu_strategy(s.text("gpu-strategy"));
  if (opt.backend == Backend::kCpu && opt.gpu_strategy != GpuStrategy::kAuto)
    throw Error("--gpu-strategy " + s.text("gpu-strategy") +
                " chooses how the GPU runs, but --backend cpu runs on the CPU: drop one of them");
  opt.device = static_cast<int>(s.integer("device"));
}

}  // namespace

ParamsFile read_params_file(const std::string& path) {
  // A parameters file holds a few numbers and a tune history: 256 MiB is room for any.
  const std::string text = read_small_file(path, "the parameters file (--params-file)", std::uint64_t{256} << 20);
  nlohmann::json j;
  // A key given twice would silently keep the last value: refused, as run files refuse it.
  std::vector<std::set<std::string>> keys;
  const nlohmann::json::parser_callback_t no_repeats = [&](int, nlohmann::json::parse_event_t event,
                                                           nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) keys.emplace_back();
    if (event == E::object_end && !keys.empty()) keys.pop_back();
    if (event == E::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
      throw Error(path + ": the key \"" + parsed.get<std::string>() +
                  "\" is given twice in one object (a parameters file names each once)");
    return true;
  };
  try {
    j = nlohmann::json::parse(text, no_repeats);
  } catch (const nlohmann::json::parse_error& e) {
    json_parse_failure(path, text, e);
  } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond double's range
    std::string what = e.what();
    if (const std::size_t b = what.find("] "); b != std::string::npos) what = what.substr(b + 2);
    throw Error(path + ": " + what + " (expected a parameters file from cascade tune --output-params)");
  }
  if (!j.is_object()) throw Error(path + ": expected a JSON object (a file from cascade tune --output-params)");
  ParamsFile f;
  f.model = member(j, "model", &nlohmann::json::is_string, "a string", path).get<std::string>();
  for (const auto& [k, v] : member(j, "params", &nlohmann::json::is_object, "an object", path).items()) {
    if (!v.is_number()) throw Error(path + ": \"params\".\"" + k + "\" must be a number, not " + json_kind(v));
    if (!std::isfinite(v.get<double>()))
      throw Error(path + ": \"params\".\"" + k + "\" = " + format_value(v.get<double>()) + " is not a finite number");
    f.params.emplace_back(k, v.get<double>());
  }
  if (const auto s = j.find("stimuli"); s != j.end()) {
    if (!s->is_array()) throw Error(path + ": \"stimuli\" must be an array");
    for (std::size_t k = 0; k < s->size(); ++k) {
      const std::string where = path + ": stimuli[" + std::to_string(k) + "]";
      const nlohmann::json& e = (*s)[k];
      if (!e.is_object()) throw Error(where + " must be an object");
      for (const auto& [key, value] : e.items())
        if (key != "spec" && key != "mask")
          throw Error(where + ": unknown key \"" + key + "\" (a stimulus has \"spec\" and, optionally, \"mask\")");
      f.stimulus_specs.push_back(member(e, "spec", &nlohmann::json::is_string, "a string", where).get<std::string>());
      const auto m = e.find("mask");
      if (m != e.end() && !m->is_string())
        throw Error(where + ": \"mask\" must be a string (a .npy path or \"all\"), not " + json_kind(*m));
      f.stimulus_masks.push_back(m != e.end() ? m->get<std::string>() : "all");
    }
  }
  return f;
}

ModelSetup model_setup(const Settings& s, std::size_t K, const std::string& weights) {
  ModelSetup out;
  const auto file = s.text_if("params-file");
  ParamsFile pf;
  if (file) pf = read_params_file(*file);
  const auto model_flag = s.text_if("model");
  if (file && model_flag && *model_flag != pf.model)
    throw Error("--model " + *model_flag + " conflicts with the model '" + pf.model + "' of --params-file '" + *file + "'");
  try {
    out.model = make_model(model_flag ? *model_flag : file ? pf.model : s.text("model"));
  } catch (const Error& e) {
    if (!file || model_flag) throw;
    throw Error("--params-file '" + *file + "': \"model\": " + e.what());
  }
  for (const auto& [k, v] : pf.params) {
    try {
      set_param(out.model, k, v);
    } catch (const Error& e) {
      throw Error("--params-file '" + *file + "': " + e.what());
    }
  }
  for (const Setting* p : s.all("param")) apply_param(out.model, *p);
  validate_model(out.model);
  const auto specs = s.texts("stimulus"), masks = s.texts("stimulus-mask");
  if (!specs.empty() || !file) {
    out.stimulus_specs = specs;
    out.stimuli = build_stimuli(specs, masks);
  } else {
    if (!masks.empty())
      throw Error("--stimulus-mask without --stimulus: the stimuli come from --params-file '" + *file +
                  "' with their masks; give --stimulus too to replace them");
    out.stimulus_specs = pf.stimulus_specs;
    out.stimuli = build_stimuli(pf.stimulus_specs, pf.stimulus_masks);
  }
  check_stimulus_counts(out.stimuli, K, weights);
  return out;
}

NetworkPlan network_plan(const Settings& s) {
  const auto weights = s.text_if("weights");
  const auto gen = s.text_if("generate");
  if (weights && gen) throw Error("give either --weights or --generate, not both");
  if (weights) {
    try {
      return NetworkPlan{NetworkSource(*weights), *weights};
    } catch (const Stopped&) {
      throw;
    } catch (const Error& e) {
      // From a run file: say where the path was given, and from where it is taken.
      const Setting* w = s.last("weights");
      if (w && !w->text)
        throw Error(w->origin + ": " + e.what() + " (relative paths are taken from the working directory, " +
                    "not the run file's)");
      throw;
    }
  }
  if (!gen) throw Error("option --weights is required (or --generate; see --help)");
  // KIND:n=N,count=K,seed=S,NAME=VALUE,...
  const std::string& g = *gen;
  const std::size_t colon = g.find(':');
  if (colon == std::string::npos)
    throw Error("--generate '" + g + "': expected KIND:n=N[,count=K][,seed=S][,NAME=VALUE...]");
  const std::string kind = g.substr(0, colon);
  std::vector<std::string> items;
  std::int64_t n = -1, count = 1;
  std::uint64_t seed = 0;
  std::size_t pos = colon + 1;
  std::set<std::string> seen;
  while (pos <= g.size()) {
    const std::size_t comma = std::min(g.find(',', pos), g.size());
    const std::string item = g.substr(pos, comma - pos);
    pos = comma + 1;
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) throw Error("--generate '" + g + "': '" + item + "' is not NAME=VALUE");
    const std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    if (!seen.insert(key).second) throw Error("--generate '" + g + "': " + key + " is given twice");
    auto integer = [&](long long lo, long long hi) {
      std::int64_t v = 0;
      if (!parse_integer(val, v) || v < lo || v > hi)
        throw Error("--generate '" + g + "': " + key + " = '" + val + "' is not an integer in [" + std::to_string(lo) +
                    ", " + std::to_string(hi) + "]");
      return v;
    };
    if (key == "n") n = integer(1, 2147483647);
    else if (key == "count") count = integer(1, 1 << 24);
    else if (key == "seed") seed = static_cast<std::uint64_t>(integer(0, std::numeric_limits<long long>::max()));
    else items.push_back(item);
  }
  if (n < 0) throw Error("--generate '" + g + "': n=N (neurons per network) is required");
  const int threads = static_cast<int>(s.integer("threads"));
  auto make = make_generator(kind, static_cast<std::size_t>(n), items, seed, threads);
  NetworkSource source = NetworkSource::generated(kind + " generator", static_cast<std::size_t>(count),
                                                  static_cast<std::size_t>(n), std::move(make));
  // A distributed run makes each rank's part only (docs/distributed.md).
  source.set_part_maker(make_part_generator(kind, static_cast<std::size_t>(n), items, seed, threads));
  return NetworkPlan{std::move(source), "generated " + g};
}

std::vector<std::uint32_t> parse_neuron_selection(const std::string& spec, std::size_t total) {
  std::vector<std::int64_t> v;
  if (spec == "all") return {};
  if (spec.size() > 4 && spec.compare(spec.size() - 4, 4, ".npy") == 0) {
    const NpyArray a = read_npy(spec);
    if (a.dtype != NpyDtype::kInt64 && a.dtype != NpyDtype::kInt32 && a.dtype != NpyDtype::kUInt8)
      throw Error("--record-neurons '" + spec + "': expected integer indices, got " + npy_descr(a.dtype));
    if (a.shape.size() != 1)
      throw Error("--record-neurons '" + spec + "': expected a 1-d array of neuron indices, got " +
                  std::to_string(a.shape.size()) + " dimensions");
    v = a.to_int64();
  } else {
    std::size_t pos = 0;
    while (pos <= spec.size()) {
      const std::size_t comma = std::min(spec.find(',', pos), spec.size());
      const std::string item = spec.substr(pos, comma - pos);
      pos = comma + 1;
      const std::size_t dash = item.find('-', 1);
      char* e = nullptr;
      const long long a = std::strtoll(item.c_str(), &e, 10);
      const bool single = dash == std::string::npos;
      bool ok = e != item.c_str() && (single ? *e == '\0' : static_cast<std::size_t>(e - item.c_str()) == dash);
      long long b = a;
      if (ok && !single) {
        const std::string rest = item.substr(dash + 1);
        b = std::strtoll(rest.c_str(), &e, 10);
        ok = e != rest.c_str() && *e == '\0';
      }
      if (!ok || a < 0 || b < a)
        throw Error("--record-neurons '" + spec + "': '" + item + "' is not an index or a range A-B (A <= B)");
      if (b - a > 100000000) throw Error("--record-neurons '" + spec + "': the range " + item + " is too large");
      for (long long x = a; x <= b; ++x) v.push_back(x);
    }
  }
  std::sort(v.begin(), v.end());
  // A neuron named twice would be recorded once: said, not done silently.
  if (const auto rep = std::adjacent_find(v.begin(), v.end()); rep != v.end())
    throw Error("--record-neurons '" + spec + "': neuron " + std::to_string(*rep) +
                " is selected twice (each recorded neuron is one row of the outputs)");
  if (v.empty()) throw Error("--record-neurons '" + spec + "': no neurons selected");
  if (v.front() < 0 || static_cast<std::size_t>(v.back()) >= total)
    throw Error("--record-neurons '" + spec + "': neuron " + std::to_string(v.front() < 0 ? v.front() : v.back()) +
                " is out of range; the networks have " + std::to_string(total) + " neurons (0 to " +
                std::to_string(total - 1) + ")");
  return std::vector<std::uint32_t>(v.begin(), v.end());
}

namespace {

/// --record-window START:STOP within the recorded steps.
void parse_window(const std::string& w, std::int64_t steps, std::int64_t* w0, std::int64_t* w1) {
  const std::size_t colon = w.find(':');
  char* e1 = nullptr;
  char* e2 = nullptr;
  const std::string a = w.substr(0, colon), b = colon == std::string::npos ? "" : w.substr(colon + 1);
  *w0 = std::strtoll(a.c_str(), &e1, 10);
  *w1 = std::strtoll(b.c_str(), &e2, 10);
  if (colon == std::string::npos || e1 == a.c_str() || *e1 || e2 == b.c_str() || *e2 || *w0 < 0 || *w1 <= *w0 ||
      *w1 > steps)
    throw Error("--record-window '" + w + "': expected START:STOP with 0 <= START < STOP <= steps (" +
                std::to_string(steps) + ")");
}

/// What a run reads: the files and directories outputs must keep clear of.
std::vector<NamedPath> run_inputs(const Settings& s, const ModelSetup& setup) {
  std::vector<NamedPath> in;
  auto add = [&](const std::string& path, const std::string& what) {
    if (!path.empty()) in.push_back({path, what + " '" + path + "'"});
  };
  if (find_option(s.command(), "weights")) add(s.text_if("weights").value_or(""), "--weights");
  add(s.text_if("params-file").value_or(""), "--params-file");
  add(s.run_file_path, "the run file");
  for (const Stimulus& st : setup.stimuli) {
    add(st.mask_source, "--stimulus-mask");
    if (const auto* l = std::get_if<LoadedStimulus>(&st.spec)) add(l->source, "the loaded stimulus");
  }
  if (s.command() == Command::kSimulate) {
    if (const auto sel = s.text_if("record-neurons"); sel && fs::path(*sel).extension() == ".npy")
      add(*sel, "--record-neurons");
    add(s.text_if("load-state").value_or(""), "--load-state");
  }
  return in;
}

/// Outputs: dense .npy and/or SONATA .h5 (--output, repeatable), g and phi(g);
/// checked against the inputs and each other before their own checks.
void plan_outputs(const Settings& s, SimulationPlan& p) {
  const std::vector<std::string> outputs = s.texts("output");
  std::vector<NamedPath> files;
  for (const auto& o : outputs) {
    const std::string ext = fs::path(o).extension().string();
    if (ext == ".npy") p.npy_outputs.push_back(o);
    else if (ext == ".h5") p.h5_outputs.push_back(o);
    else throw Error("--output '" + o + "': expected a .npy (dense) or .h5 (SONATA spikes) file name");
    if (std::count(outputs.begin(), outputs.end(), o) > 1) throw Error("--output '" + o + "' is given twice");
    for (auto& f : output_files(o, "--output", ext == ".npy")) files.push_back(std::move(f));
  }
  p.input_output = s.text_if("record-input").value_or("");
  p.rate_output = s.text_if("record-rate").value_or("");
  if (!p.input_output.empty())
    for (auto& f : output_files(p.input_output, "--record-input", false)) files.push_back(std::move(f));
  if (!p.rate_output.empty())
    for (auto& f : output_files(p.rate_output, "--record-rate", false)) files.push_back(std::move(f));
  if (const auto c = s.text_if("checkpoint")) {
    for (auto& f : output_files(*c, "--checkpoint", false)) files.push_back(std::move(f));
    files.push_back({*c + ".lock", "the lock of --checkpoint '" + *c + "'"});
  }
  const std::string save = s.text_if("save-state").value_or("");
  if (!save.empty())
    for (auto& f : output_files(save, "--save-state", false)) files.push_back(std::move(f));
  check_outputs_against_inputs(run_inputs(s, p.setup), files);
  check_writable_kinds(files);
  if (!save.empty()) check_output_path(save, fs::path(save).extension().string(), p.force, "--save-state");
  for (const auto& o : outputs) check_output_path(o, fs::path(o).extension().string(), p.force, "--output");
  if (!p.input_output.empty()) check_output_path(p.input_output, ".npy", p.force, "--record-input");
  if (!p.rate_output.empty()) check_output_path(p.rate_output, ".npy", p.force, "--record-rate");
}

/// --save-state / --load-state: one batch's state, and --steps 0 only to save one.
void plan_states(const Settings& s, SimulationPlan& p) {
  p.save_state = s.text_if("save-state").value_or("");
  p.load_state = s.text_if("load-state").value_or("");
  if (p.steps == 0 && (p.save_state.empty() || p.records()))
    throw Error("--steps 0 runs only the equilibration, to save its state: give --save-state FILE and no "
                "outputs, or --steps N >= 1");
  if ((!p.save_state.empty() || !p.load_state.empty()) && p.batches() > 1)
    throw Error(std::string(p.save_state.empty() ? "--load-state" : "--save-state") +
                " holds the state of one batch: simulate every network together (no --batch-size below the " +
                std::to_string(p.network_count()) + " networks)");
  if (!p.load_state.empty()) regular_file_size(p.load_state, "the state (--load-state)");
}

void plan_checkpoint(const Settings& s, SimulationPlan& p, bool resuming) {
  p.checkpoint = s.text_if("checkpoint").value_or("");
  p.checkpoint_every = s.integer_if("checkpoint-every").value_or(0);
  if (s.has("checkpoint-every") && p.checkpoint.empty()) throw Error("--checkpoint-every needs --checkpoint FILE");
  if (p.checkpoint.empty()) return;
  if (!p.h5_outputs.empty())
    throw Error("--checkpoint: a SONATA (.h5) output cannot be resumed (HDF5 files do not survive a kill); "
                "record .npy with --checkpoint, or drop --checkpoint");
  std::error_code ec;
  const fs::path cp(p.checkpoint);
  const auto dir = cp.has_parent_path() ? cp.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    throw Error("--checkpoint '" + p.checkpoint + "': directory '" + dir.string() + "' does not exist");
  if (!resuming && fs::exists(cp, ec) && !p.force)
    throw Error("--checkpoint '" + p.checkpoint + "' exists (resume it with `cascade resume " + p.checkpoint +
                "`, or pass --force to start over)");
}

}  // namespace

SimulationPlan plan_simulation(const Settings& s, bool resuming) {
  SimulationPlan p;
  p.settings = s;
  refuse_positional(s, "simulate");
  s.require("steps");
  p.steps = s.integer("steps");
  p.equilibration = s.integer("equilibration");
  backend_options(s, p.options);
  p.options.replica_offset = static_cast<std::uint32_t>(s.integer("replica-offset"));
  p.dtype = parse_record_dtype(s.text("record-dtype"));
  const std::int64_t batch_option = s.integer_if("batch-size").value_or(0);
  p.chunk_steps = s.integer_if("chunk-steps").value_or(0);
  p.force = s.flag("force");

  p.networks = network_plan(s);
  const std::size_t K = p.networks.source.size();
  p.first_neuron.assign(K + 1, 0);
  for (std::size_t k = 0; k < K; ++k) p.first_neuron[k + 1] = p.first_neuron[k] + p.networks.source.neuron_count(k);
  p.batch_size = batch_option > 0 ? std::min<std::size_t>(static_cast<std::size_t>(batch_option), K) : K;
  // Model, parameters, stimuli and masks, checked against the dataset.
  p.setup = model_setup(s, K, p.networks.label);

  // What to record: a subset of neurons (indices over the whole dataset, in
  // output order) and a window of the recorded steps.
  if (const auto spec = s.text_if("record-neurons")) {
    p.neurons = parse_neuron_selection(*spec, p.total_neurons());
    p.neurons_text = *spec;
  }
  p.window_begin = 0;
  p.window_end = p.steps;
  if (const auto w = s.text_if("record-window")) parse_window(*w, p.steps, &p.window_begin, &p.window_end);

  plan_outputs(s, p);
  if ((s.has("record-neurons") || s.has("record-window")) && !p.records())
    throw Error(std::string(s.has("record-neurons") ? "--record-neurons" : "--record-window") +
                " says what the outputs record, but the run has none: give --output FILE (or --record-input, "
                "--record-rate)");
  plan_checkpoint(s, p, resuming);
  plan_states(s, p);
  return p;
}

TunePlan plan_tune(const Settings& s) {
  TunePlan p;
  p.settings = s;
  refuse_positional(s, "tune");
  s.require("target-hz");
  p.tune.target_hz = s.number("target-hz");
  p.tune.lr = s.number("lr");
  p.tune.epochs = s.integer("epochs");
  p.tune.steps = s.integer("steps");
  p.tune.equilibration = s.integer("equilibration");
  const auto sel = s.texts("tune");
  if (!sel.empty()) {
    p.tune.selection.clear();
    for (const auto& item_list : sel) {
      std::size_t pos = 0;
      while (pos <= item_list.size()) {
        const std::size_t comma = std::min(item_list.find(',', pos), item_list.size());
        const std::string item = item_list.substr(pos, comma - pos);
        if (item.empty()) throw Error("--tune '" + item_list + "': empty name");
        p.tune.selection.push_back(item);
        pos = comma + 1;
      }
    }
  }
  validate_tune_options(p.tune);
  p.check.steps = s.integer("check-steps");
  p.check.tolerance = s.number("tolerance");
  p.check.tolerance_hz = s.number("tolerance-hz");
  if (!(std::isfinite(p.check.tolerance) && p.check.tolerance >= 0))
    throw Error("--tolerance " + format_value(p.check.tolerance) + " is invalid; expected a relative tolerance >= 0");
  if (!(std::isfinite(p.check.tolerance_hz) && p.check.tolerance_hz >= 0))
    throw Error("--tolerance-hz " + format_value(p.check.tolerance_hz) + " is invalid; expected a rate >= 0 Hz");
  backend_options(s, p.options);
  p.output = s.text_if("output-params").value_or("");

  p.networks = network_plan(s);
  p.setup = model_setup(s, p.networks.source.size(), p.networks.label);
  p.names = resolve_tunable(p.setup.model, p.setup.stimuli, p.tune.selection);  // errors before any run
  if (!p.output.empty()) {
    check_outputs_against_inputs(run_inputs(s, p.setup), output_files(p.output, "--output-params", false));
    check_writable_kinds(output_files(p.output, "--output-params", false));
    check_output_path(p.output, ".json", s.flag("force"), "--output-params");
  }
  return p;
}

GeneratePlan plan_generate(const Settings& s) {
  GeneratePlan p;
  if (s.positional.size() != 1)
    throw Error("generate: expected one KIND (normal, uniform, mexican_hat or sparse); see --help");
  p.kind = s.positional.front();
  s.require("n");
  p.n = static_cast<std::size_t>(s.integer("n"));
  p.count = static_cast<std::size_t>(s.integer("count"));
  p.seed = s.unsigned_integer("seed");
  p.threads = static_cast<int>(s.integer("threads"));
  s.require("out");
  p.out = s.text("out");
  const std::string dtype = s.text("dtype");
  if (dtype != "float32" && dtype != "float64") throw Error("--dtype '" + dtype + "': expected float32 or float64");
  p.float32 = dtype == "float32";
  const std::string format = s.text_if("format").value_or(p.kind == "sparse" ? "edge-list" : "dense");
  if (format != "dense" && format != "edge-list") throw Error("--format '" + format + "': expected dense or edge-list");
  p.dense = format == "dense";
  if (p.dense && p.n > 20000)
    throw Error("--n " + std::to_string(p.n) + ": a dense W0 of that size is too large to write; use --format edge-list");
  p.params = s.texts("param");
  p.force = s.flag("force");
  return p;
}

FitPlan plan_fit(const Settings& s) {
  FitPlan p;
  p.settings = s;
  refuse_positional(s, "fit");
  s.require("spikes");
  s.require("output");
  p.spikes = s.text("spikes");
  p.output = s.text("output");
  if (fs::path(p.spikes).extension() != ".h5") {
    const NpyHeader h = read_npy_header(p.spikes);
    if (h.shape.size() != 2 && h.shape.size() != 3)
      throw Error("--spikes '" + p.spikes + "': shape " + npy_shape_text(h.shape) +
                  "; expected [neurons, steps] or [replicas, neurons, steps] (a cascade simulate raster)");
    p.neurons = h.shape[h.shape.size() - 2];
  }
  p.setup = model_setup(s, 1, p.spikes);
  if (const std::string why = fit_refusal(p.setup.model); !why.empty())
    throw Error("fit: " + model_name(p.setup.model) + " cannot be fitted: " + why);
  p.fit.l1 = s.number("l1");
  p.fit.l2 = s.number("l2");
  p.fit.max_iterations = s.integer("max-iterations");
  p.fit.tolerance = s.number("tolerance");
  p.fit.burn_in = s.has("burn-in") ? s.integer("burn-in") : -1;
  p.fit.stimulus_seed = s.unsigned_integer("seed");
  p.fit.threads = static_cast<int>(s.integer("threads"));
  for (const auto& [v, name] : {std::pair{p.fit.l1, "--l1"}, {p.fit.l2, "--l2"}, {p.fit.tolerance, "--tolerance"}})
    if (!(std::isfinite(v) && v >= 0.0))
      throw Error(std::string(name) + " " + format_value(v) + " is invalid; expected a finite value >= 0");
  p.candidates = s.text_if("candidates").value_or("");
  if (s.has("screen")) {
    if (!p.candidates.empty()) throw Error("--screen and --candidates both choose the edges to fit: give one");
    p.screen = s.integer("screen");
  }
  p.truth = s.text_if("truth").value_or("");
  std::vector<NamedPath> inputs = run_inputs(s, p.setup);
  inputs.push_back({p.spikes, "--spikes '" + p.spikes + "'"});
  if (!p.candidates.empty()) inputs.push_back({p.candidates, "--candidates '" + p.candidates + "'"});
  if (!p.truth.empty()) inputs.push_back({p.truth, "--truth '" + p.truth + "'"});
  const std::vector<NamedPath> outs = output_files(p.output, "--output", true);
  check_outputs_against_inputs(inputs, outs);
  check_writable_kinds(outs);
  check_output_path(p.output, ".npy", s.flag("force"), "--output");
  return p;
}

}  // namespace cascade::run
