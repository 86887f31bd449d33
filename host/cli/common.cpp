#include "common.hpp"

#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <ctime>
#include <fstream>
#include <limits>

#include "json.hpp"

namespace fs = std::filesystem;

namespace cascade::cli {

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

namespace {
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
}  // namespace

std::vector<Stimulus> stimuli_from_args(const Args& args, std::size_t K, const std::string& weights) {
  auto stimuli = build_stimuli(args.values("stimulus"), args.values("stimulus-mask"));
  check_stimulus_counts(stimuli, K, weights);
  return stimuli;
}

void backend_options_from_args(const Args& args, SimulatorOptions& opt) {
  opt.backend = parse_backend(args.value("backend").value_or("auto"));
  opt.gpu_strategy = parse_gpu_strategy(args.value("gpu-strategy").value_or("auto"));
  opt.device = static_cast<int>(args.integer("device", 0, 0, 1023));
}

void check_output_path(const std::string& path, const std::string& extension, bool force, const char* option) {
  const fs::path out(path);
  if (out.extension() != extension)
    throw Error(std::string(option) + " '" + path + "': expected a " + extension + " file name");
  std::error_code ec;
  if (fs::exists(out, ec) && !force) throw Error(std::string(option) + " '" + path + "' exists; pass --force to overwrite it");
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    throw Error(std::string(option) + " '" + path + "': directory '" + dir.string() + "' does not exist");
}

ParamsFile read_params_file(const std::string& path) {
  const Json j = read_json_file(path);
  if (j.type != Json::Type::kObject) throw Error(path + ": expected a JSON object (a file from cascade tune --output-params)");
  ParamsFile f;
  f.model = j.at("model", Json::Type::kString, path).string;
  for (const auto& [k, v] : j.at("params", Json::Type::kObject, path).object) {
    if (v.type != Json::Type::kNumber)
      throw Error(path + ": \"params\".\"" + k + "\" must be a number, not " + json_type_name(v.type));
    f.params.emplace_back(k, v.number);
  }
  if (const Json* s = j.find("stimuli")) {
    if (s->type != Json::Type::kArray) throw Error(path + ": \"stimuli\" must be an array");
    for (std::size_t k = 0; k < s->array.size(); ++k) {
      const std::string where = path + ": stimuli[" + std::to_string(k) + "]";
      if (s->array[k].type != Json::Type::kObject) throw Error(where + " must be an object");
      f.stimulus_specs.push_back(s->array[k].at("spec", Json::Type::kString, where).string);
      const Json* m = s->array[k].find("mask");
      f.stimulus_masks.push_back(m && m->type == Json::Type::kString ? m->string : "all");
    }
  }
  return f;
}

ModelSetup model_setup_from_args(const Args& args, std::size_t K, const std::string& weights) {
  ModelSetup s;
  const auto file = args.value("params-file");
  ParamsFile pf;
  if (file) pf = read_params_file(*file);
  const auto model_flag = args.value("model");
  if (file && model_flag && *model_flag != pf.model)
    throw Error("--model " + *model_flag + " conflicts with the model '" + pf.model + "' of --params-file '" + *file + "'");
  s.model = make_model(model_flag ? *model_flag : file ? pf.model : "bernoulli_glm");
  for (const auto& [k, v] : pf.params) {
    try {
      set_param(s.model, k, v);
    } catch (const Error& e) {
      throw Error("--params-file '" + *file + "': " + e.what());
    }
  }
  for (const auto& p : args.values("param")) set_param_assignment(s.model, p);
  validate_model(s.model);
  if (!args.values("stimulus").empty() || !file) {
    s.stimulus_specs = args.values("stimulus");
    s.stimuli = build_stimuli(s.stimulus_specs, args.values("stimulus-mask"));
  } else {
    if (!args.values("stimulus-mask").empty())
      throw Error("--stimulus-mask without --stimulus: the stimuli come from --params-file '" + *file +
                  "' with their masks; give --stimulus too to replace them");
    s.stimulus_specs = pf.stimulus_specs;
    s.stimuli = build_stimuli(pf.stimulus_specs, pf.stimulus_masks);
  }
  check_stimulus_counts(s.stimuli, K, weights);
  return s;
}

NetworkSource network_source_from_args(const Args& args, int threads, std::string* label) {
  const auto weights = args.value("weights");
  const auto gen = args.value("generate");
  if (weights && gen) throw Error("give either --weights or --generate, not both");
  if (weights) {
    *label = *weights;
    return NetworkSource(*weights);
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
  while (pos <= g.size()) {
    const std::size_t comma = std::min(g.find(',', pos), g.size());
    const std::string item = g.substr(pos, comma - pos);
    pos = comma + 1;
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) throw Error("--generate '" + g + "': '" + item + "' is not NAME=VALUE");
    const std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    auto integer = [&](long long lo, long long hi) {
      char* end = nullptr;
      const long long v = std::strtoll(val.c_str(), &end, 10);
      if (end == val.c_str() || *end || v < lo || v > hi)
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
  auto make = make_generator(kind, static_cast<std::size_t>(n), items, seed, threads);
  *label = "generated " + g;
  return NetworkSource::generated(kind + " generator", static_cast<std::size_t>(count), static_cast<std::size_t>(n),
                                  std::move(make));
}

std::vector<std::uint32_t> parse_neuron_selection(const std::string& spec, std::size_t total) {
  std::vector<std::int64_t> v;
  if (spec == "all") return {};
  if (spec.size() > 4 && spec.compare(spec.size() - 4, 4, ".npy") == 0) {
    const NpyArray a = read_npy(spec);
    if (a.dtype != NpyDtype::kInt64 && a.dtype != NpyDtype::kInt32 && a.dtype != NpyDtype::kUInt8)
      throw Error("--record-neurons '" + spec + "': expected integer indices, got " + npy_descr(a.dtype));
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
  v.erase(std::unique(v.begin(), v.end()), v.end());
  if (v.empty()) throw Error("--record-neurons '" + spec + "': no neurons selected");
  if (v.front() < 0 || static_cast<std::size_t>(v.back()) >= total)
    throw Error("--record-neurons '" + spec + "': neuron " + std::to_string(v.front() < 0 ? v.front() : v.back()) +
                " is out of range; the networks have " + std::to_string(total) + " neurons (0 to " +
                std::to_string(total - 1) + ")");
  return std::vector<std::uint32_t>(v.begin(), v.end());
}

std::string host_cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string provenance_prefix(const std::string& command, const std::vector<std::string>& argv,
                              const std::string& run_path, const std::string& run_text) {
  std::string s = "{\n  \"cascade_version\": \"";
  s += kVersion;
  s += "\",\n  \"git_hash\": \"";
  s += build_info().git_hash;
  s += "\",\n  \"rng_stream\": \"";
  s += kRngStreamVersion;
  s += "\",\n  \"command\": \"cascade ";
  s += command;
  for (const auto& a : argv) {
    s += ' ';
    s += json_escape(a);
  }
  s += "\",\n  \"run_file\": ";
  s += json_string_or_null(run_path);
  s += ",\n  \"run_file_text\": ";
  s += run_path.empty() ? std::string("null") : json_string_or_null(run_text);
  return s;
}

std::string utc_time_text(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  char when[64];
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return when;
}

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      throw Error("cannot write '" + path + "'");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("cannot write '" + path + "'");
  }
}

}  // namespace cascade::cli
