// Generators named by kind with NAME=VALUE parameters (cascade generate's
// --param, --generate KIND:...): each kind's valid and required names, the
// values parsed and the generator validated before anything is made.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>

#include "cascade/error.hpp"
#include "cascade/generators.hpp"

namespace cascade {

namespace {

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

/// The sparse generator's NAME=VALUE parameters, checked.
static SparseGenerator sparse_generator(std::size_t n, const std::vector<std::string>& items) {
  const std::string kind = "sparse";
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
  return g;
}

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
    const SparseGenerator g = sparse_generator(n, items);
    make = [g, seed, threads](std::uint32_t k) { return generate(g, seed, k, threads); };
  } else {
    throw Error("generate: unknown kind '" + kind + "'; expected normal, uniform, mexican_hat or sparse");
  }

  return make;
}


std::function<GeneratedPart(std::uint32_t, std::size_t, std::size_t)> make_part_generator(
    const std::string& kind, std::size_t n, const std::vector<std::string>& items, std::uint64_t seed, int threads) {
  if (kind != "sparse") return {};
  const SparseGenerator g = sparse_generator(n, items);
  return [g, seed, threads](std::uint32_t k, std::size_t lo, std::size_t hi) {
    return generate_part(g, seed, k, lo, hi, threads);
  };
}

}  // namespace cascade
