// Connectivity generators: the reference's Normal, Uniform and MexicanHat
// (same parameters, shapes and rules; drawn from the counter-based generator,
// so a (seed, index) pair gives the same network everywhere) and a sparse
// generator for large networks that never builds an N x N array.
//
// Weights are rounded to float32 (the reference's precision), so a network
// saved as float32 .npy and loaded again is the network generated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/network.hpp"

namespace cascade {

/// One (n/2) x n draw H ~ N(mean, std^2) (divided by sqrt(n) when glorot),
/// entries kept with probability 2 (1 - sparsity); rows 0..n/2-1 of W0 get
/// H's positive parts, rows n/2..n-1 its negative parts (Dale's law); zero diagonal.
struct NormalGenerator {
  std::size_t n = 0;  // even, >= 2
  double mean = 0.0;
  double std = 1.0;
  double sparsity = 0.5;  // in [0.5, 1]
  bool glorot = false;
};

/// When (high - low) / 2 == high: the Dale split of one (n/2) x n uniform
/// draw, entries kept with probability 2 (1 - sparsity); otherwise an n x n
/// draw, entries kept with probability 1 - sparsity. Zero diagonal.
struct UniformGenerator {
  std::size_t n = 0;
  double low = -1.0;
  double high = 1.0;
  double sparsity = 0.5;  // in [0, 1]
};

/// Ring distance d: exp(-d^2 / 2 sigma_1^2) - a exp(-d^2 / 2 sigma_2^2); zero diagonal; no randomness.
struct MexicanHatGenerator {
  std::size_t n = 0;
  double a = 0.5;
  double sigma_1 = 1.0;
  double sigma_2 = 2.0;
};

/// Large sparse networks: every neuron receives exactly `in_degree` inputs
/// from distinct other neurons (rule kFixedInDegree), or every ordered pair
/// j != i is a synapse with probability p (kFixedProbability). Weights are
/// normal(mean, std) or uniform(low, high), divided by sqrt(n) when glorot;
/// with Dale's law the first round(excitatory_fraction * n) neurons project
/// |w| and the others -inhibitory_scale * |w|. No self-connections.
struct SparseGenerator {
  enum class Rule { kFixedInDegree, kFixedProbability };
  enum class Weights { kNormal, kUniform };
  std::size_t n = 0;
  Rule rule = Rule::kFixedInDegree;
  std::int64_t in_degree = 0;
  double p = 0.0;
  Weights weights = Weights::kNormal;
  double mean = 0.0, std = 1.0;
  double low = 0.0, high = 1.0;
  bool glorot = false;
  bool dale = true;
  double excitatory_fraction = 0.5;
  double inhibitory_scale = 1.0;
};

/// Network number `index` of a seeded family (its instance id is `index`).
Network generate(const NormalGenerator& g, std::uint64_t seed, std::uint32_t index = 0);
Network generate(const UniformGenerator& g, std::uint64_t seed, std::uint32_t index = 0);
Network generate(const MexicanHatGenerator& g, std::uint32_t index = 0);
Network generate(const SparseGenerator& g, std::uint64_t seed, std::uint32_t index = 0, int threads = 0);

void validate_generator(const NormalGenerator& g);
void validate_generator(const UniformGenerator& g);
void validate_generator(const MexicanHatGenerator& g);
void validate_generator(const SparseGenerator& g);

/// A rank's part of a generated network (distributed runs,
/// docs/distributed.md): the synapses onto neurons [lo, hi) as CSR by
/// presynaptic neuron with their weights, made without the rest of the
/// network (memory for its own synapses only). The whole network's largest
/// |weight| (for its quantisation scale), synapse count and self-edge flag
/// are the maximum, sum and "any" of its parts' (Network::part_from_csr).
struct GeneratedPart {
  std::vector<std::int64_t> row_ptr;
  std::vector<std::int32_t> post;
  std::vector<double> weight;
  double max_abs = 0.0;
  bool self_edges = false;
  std::string label;
};
/// generate(g, seed, index)'s synapses onto [lo, hi), bit for bit.
GeneratedPart generate_part(const SparseGenerator& g, std::uint64_t seed, std::uint32_t index, std::size_t lo,
                            std::size_t hi, int threads = 0);
/// make_generator's parts: null for the kinds made whole (normal, uniform,
/// mexican_hat: dense generators of small networks), which are cut instead.
std::function<GeneratedPart(std::uint32_t, std::size_t, std::size_t)> make_part_generator(
    const std::string& kind, std::size_t n, const std::vector<std::string>& params, std::uint64_t seed, int threads = 0);

/// A seeded family of networks by kind (normal, uniform, mexican_hat,
/// sparse) and NAME=VALUE parameters (cascade generate's --param): unknown,
/// missing or malformed parameters are errors naming them; the generator is
/// validated before this returns. Network k of the family is make(k).
std::function<Network(std::uint32_t)> make_generator(const std::string& kind, std::size_t n,
                                                     const std::vector<std::string>& params, std::uint64_t seed,
                                                     int threads = 0);

}  // namespace cascade
