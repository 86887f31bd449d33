// `cascade generate`: seeded connectivity datasets (0.npy ... (K-1).npy, or
// edge-list directories 0/ ... (K-1)/ for large sparse networks).
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <algorithm>
#include <functional>
#include <set>

#include "args.hpp"
#include "cascade/cascade.hpp"
#include "commands.hpp"
#include "log.hpp"
#include "common.hpp"

namespace fs = std::filesystem;

namespace cascade::cli {

namespace {

const char* kHelp =
    "usage: cascade generate KIND --n N --out DIR [--param NAME=VALUE ...] [options]\n"
    "\n"
    "Generates K seeded networks: network k is the same for a given seed on any\n"
    "machine (counter-based random numbers). Weights are float32-exact.\n"
    "\n"
    "kinds and their parameters (--param NAME=VALUE):\n"
    "  normal       mean, std (required); sparsity = 0.5 (in [0.5, 1]); glorot = false\n"
    "               (the reference's NormalGenerator: Dale split of an (n/2) x n draw;\n"
    "               n even)\n"
    "  uniform      low, high, sparsity (required) (the reference's UniformGenerator)\n"
    "  mexican_hat  a, sigma_1, sigma_2 (required); no randomness\n"
    "  sparse       in_degree (fixed in-degree) or p (fixed probability), required;\n"
    "               weights = normal | uniform; mean = 0, std = 1; low = 0, high = 1;\n"
    "               glorot = false; dale = true; excitatory_fraction = 0.5;\n"
    "               inhibitory_scale = 1. Never builds an N x N array.\n"
    "\n"
    "options:\n"
    "  --n N            neurons per network (required)\n"
    "  --count K        networks (default 1)\n"
    "  --seed S         random seed (default 0)\n"
    "  --out DIR        output directory (created if missing; required)\n"
    "  --format F       dense (K.npy, default except sparse) or edge-list (K/ with\n"
    "                   edge_index.npy, weights.npy, num_nodes.npy; default for sparse)\n"
    "  --dtype D        float32 (default) or float64 weights\n"
    "  --threads T      CPU threads for the sparse generator (default 0 = all)\n"
    "  --force          overwrite existing networks in DIR\n"
    "  --quiet          print nothing but errors\n";

bool parse_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "True") return true;
  if (v == "false" || v == "0" || v == "False") return false;
  throw Error("--param " + key + "=" + v + ": expected true or false");
}

double parse_number(const std::string& key, const std::string& v) {
  errno = 0;
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || errno == ERANGE)
    throw Error("--param " + key + "=" + v + ": '" + v + "' is not a number");
  return x;
}

/// NAME=VALUE pairs checked against the kind's valid and required names.
std::map<std::string, std::string> parse_params(const std::string& kind, const std::vector<std::string>& items,
                                                const std::vector<std::string>& valid,
                                                const std::vector<std::string>& required) {
  std::map<std::string, std::string> out;
  std::string list;
  for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
  for (const auto& item : items) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw Error("--param '" + item + "': expected NAME=VALUE");
    const std::string key = item.substr(0, eq);
    if (std::find(valid.begin(), valid.end(), key) == valid.end())
      throw Error("--param '" + item + "': unknown parameter '" + key + "' for " + kind + "; valid: " + list);
    if (out.count(key)) throw Error("--param " + key + " is given twice");
    out[key] = item.substr(eq + 1);
  }
  for (const auto& r : required)
    if (!out.count(r)) throw Error("generate " + kind + ": --param " + r + "=VALUE is required");
  return out;
}


}  // namespace

std::function<Network(std::uint32_t)> make_generator(const std::string& kind, std::size_t n,
                                                     const std::vector<std::string>& items, std::uint64_t seed,
                                                     int threads) {
  std::function<Network(std::uint32_t)> make;
  if (kind == "normal") {
    const auto p = parse_params(kind, items, {"mean", "std", "sparsity", "glorot"}, {"mean", "std"});
    NormalGenerator g;
    g.n = n;
    g.mean = parse_number("mean", p.at("mean"));
    g.std = parse_number("std", p.at("std"));
    if (p.count("sparsity")) g.sparsity = parse_number("sparsity", p.at("sparsity"));
    if (p.count("glorot")) g.glorot = parse_bool("glorot", p.at("glorot"));
    validate_generator(g);
    make = [g, seed](std::uint32_t k) { return generate(g, seed, k); };
  } else if (kind == "uniform") {
    const auto p = parse_params(kind, items, {"low", "high", "sparsity"}, {"low", "high", "sparsity"});
    UniformGenerator g;
    g.n = n;
    g.low = parse_number("low", p.at("low"));
    g.high = parse_number("high", p.at("high"));
    g.sparsity = parse_number("sparsity", p.at("sparsity"));
    validate_generator(g);
    make = [g, seed](std::uint32_t k) { return generate(g, seed, k); };
  } else if (kind == "mexican_hat") {
    const auto p = parse_params(kind, items, {"a", "sigma_1", "sigma_2"}, {"a", "sigma_1", "sigma_2"});
    MexicanHatGenerator g;
    g.n = n;
    g.a = parse_number("a", p.at("a"));
    g.sigma_1 = parse_number("sigma_1", p.at("sigma_1"));
    g.sigma_2 = parse_number("sigma_2", p.at("sigma_2"));
    validate_generator(g);
    make = [g](std::uint32_t k) { return generate(g, k); };
  } else if (kind == "sparse") {
    const auto p = parse_params(kind, items,
                                {"in_degree", "p", "weights", "mean", "std", "low", "high", "glorot", "dale",
                                 "excitatory_fraction", "inhibitory_scale"},
                                {});
    SparseGenerator g;
    g.n = n;
    if (p.count("in_degree") == p.count("p"))
      throw Error("generate sparse: give exactly one of --param in_degree=K (fixed in-degree) or --param p=P "
                  "(fixed probability)");
    if (p.count("in_degree")) {
      const double k = parse_number("in_degree", p.at("in_degree"));
      if (!(k >= 0 && k < 2147483648.0) || k != static_cast<double>(static_cast<std::int64_t>(k)))
        throw Error("--param in_degree=" + p.at("in_degree") + ": expected an integer");
      g.rule = SparseGenerator::Rule::kFixedInDegree;
      g.in_degree = static_cast<std::int64_t>(k);
    } else {
      g.rule = SparseGenerator::Rule::kFixedProbability;
      g.p = parse_number("p", p.at("p"));
    }
    if (p.count("weights")) {
      const std::string w = p.at("weights");
      if (w == "normal") g.weights = SparseGenerator::Weights::kNormal;
      else if (w == "uniform") g.weights = SparseGenerator::Weights::kUniform;
      else throw Error("--param weights=" + w + ": expected normal or uniform");
    }
    const bool uniform = g.weights == SparseGenerator::Weights::kUniform;
    for (const char* key : {"mean", "std"})
      if (uniform && p.count(key)) throw Error(std::string("--param ") + key + " applies to weights=normal only");
    for (const char* key : {"low", "high"})
      if (!uniform && p.count(key)) throw Error(std::string("--param ") + key + " applies to weights=uniform only");
    if (p.count("mean")) g.mean = parse_number("mean", p.at("mean"));
    if (p.count("std")) g.std = parse_number("std", p.at("std"));
    if (p.count("low")) g.low = parse_number("low", p.at("low"));
    if (p.count("high")) g.high = parse_number("high", p.at("high"));
    if (p.count("glorot")) g.glorot = parse_bool("glorot", p.at("glorot"));
    if (p.count("dale")) g.dale = parse_bool("dale", p.at("dale"));
    if (p.count("excitatory_fraction"))
      g.excitatory_fraction = parse_number("excitatory_fraction", p.at("excitatory_fraction"));
    if (p.count("inhibitory_scale")) g.inhibitory_scale = parse_number("inhibitory_scale", p.at("inhibitory_scale"));
    validate_generator(g);
    make = [g, seed, threads](std::uint32_t k) { return generate(g, seed, k, threads); };
  } else {
    throw Error("generate: unknown kind '" + kind + "'; expected normal, uniform, mexican_hat or sparse");
  }

  return make;
}


int generate_command(const std::vector<std::string>& argv) {
  const Args args(argv, {"n", "param", "count", "seed", "out", "format", "dtype", "threads"}, {"help", "force", "quiet"});
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (args.positional().size() != 1)
    throw Error("generate: expected one KIND (normal, uniform, mexican_hat or sparse); see --help");
  const std::string kind = args.positional().front();
  if (!args.value("n")) throw Error("option --n is required (see --help)");
  const std::size_t n = static_cast<std::size_t>(args.integer("n", 0, 1, 2147483647));
  const std::int64_t count = args.integer("count", 1, 1, 1 << 24);
  const std::uint64_t seed = args.unsigned_integer("seed", 0);
  const int threads = static_cast<int>(args.integer("threads", 0, 0, 4096));
  const std::string out = args.required("out");
  const std::string dtype = args.value("dtype").value_or("float32");
  if (dtype != "float32" && dtype != "float64") throw Error("--dtype '" + dtype + "': expected float32 or float64");
  const bool f32 = dtype == "float32";
  const std::string format = args.value("format").value_or(kind == "sparse" ? "edge-list" : "dense");
  if (format != "dense" && format != "edge-list") throw Error("--format '" + format + "': expected dense or edge-list");
  if (format == "dense" && n > 20000)
    throw Error("--n " + std::to_string(n) + ": a dense W0 of that size is too large to write; use --format edge-list");
  const auto items = args.values("param");

  // Build the generator (validation errors before any file is touched).
  const std::function<Network(std::uint32_t)> make = make_generator(kind, n, items, seed, threads);

  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out, ec)) throw Error("--out '" + out + "': cannot create the directory");
  auto target = [&](std::int64_t k) {
    return (fs::path(out) / (std::to_string(k) + (format == "dense" ? ".npy" : ""))).string();
  };
  if (!args.flag("force"))
    for (std::int64_t k = 0; k < count; ++k)
      if (fs::exists(target(k), ec))
        throw Error("--out '" + out + "': '" + target(k) + "' exists; pass --force to overwrite");

  const auto t0 = std::chrono::steady_clock::now();
  std::size_t synapses = 0;
  for (std::int64_t k = 0; k < count; ++k) {
    const Network net = make(static_cast<std::uint32_t>(k));
    synapses += net.n_synapses();
    if (format == "dense") save_dense_network(net, target(k), f32);
    else save_edge_list(net, target(k), f32);
  }
  set_log_level_from_flags(args.flag("quiet"), false);
  log_info("wrote %lld %s network(s) of %zu neurons (%.4g synapses each on average) to %s in %.3f s",
                static_cast<long long>(count), kind.c_str(), n,
                static_cast<double>(synapses) / static_cast<double>(count), out.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

}  // namespace cascade::cli
