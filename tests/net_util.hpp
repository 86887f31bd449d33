// Random test networks (std:: generators: tests only, not part of Cascade's
// reproducibility guarantees).
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cascade/network.hpp"

namespace cascade::test {

/// Dense [n, n] weights: each off-diagonal entry present with probability
/// `density`, normal(0, std / sqrt(n)); rows n/2.. negated magnitudes when
/// `dale` (excitatory first half, inhibitory second half).
inline std::vector<double> random_weights(std::size_t n, double density, double std_dev, std::uint64_t seed,
                                          bool dale = true) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> z(0.0, std_dev / std::sqrt(static_cast<double>(n)));
  std::vector<double> w(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < n; ++i) {
      if (i == j || u(gen) >= density) continue;
      double v = z(gen);
      if (dale) v = (j < n / 2) ? std::fabs(v) : -std::fabs(v);
      w[j * n + i] = v;
    }
  return w;
}

inline Network random_network(std::size_t n, double density, double std_dev, std::uint64_t seed,
                              std::uint32_t id = 0, bool dale = true) {
  const auto w = random_weights(n, density, std_dev, seed, dale);
  return Network::from_dense(std::span<const double>(w), n, id, "random" + std::to_string(seed));
}

/// A network on which `model` is active: glorot-like Dale networks for the
/// GLMs, inhibitory uniform weights for the SA models (as the reference test
/// suite uses).
inline Network active_network(const std::string& model, std::size_t n, std::uint64_t seed, std::uint32_t id = 0) {
  if (model.find("sam") != std::string::npos) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> w(n * n, 0.0);
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n; ++i)
        if (i != j && u(gen) < 0.1) w[j * n + i] = -0.002289 * u(gen);
    return Network::from_dense(std::span<const double>(w), n, id, "sa" + std::to_string(seed));
  }
  return random_network(n, model == "bernoulli_glm" ? 0.5 : 0.1, model == "bernoulli_glm" ? 5.0 : 1.0, seed, id);
}

/// A network of per-edge filters W[e, k] (T lags): each pair present with
/// probability `density`, excitatory first half, filters decaying as
/// exp(-0.3 k), and every neuron's self-edge a refractory -8 exp(-k).
inline Network per_edge_network(std::size_t n, std::size_t T, double density, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::int64_t> pre, post;
  std::vector<double> filt;
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < n; ++i) {
      if (i != j && u(gen) >= density) continue;
      pre.push_back(static_cast<std::int64_t>(j));
      post.push_back(static_cast<std::int64_t>(i));
      for (std::size_t k = 0; k < T; ++k)
        filt.push_back(i == j ? -8.0 * std::exp(-static_cast<double>(k))
                              : (j < n / 2 ? 1.0 : -1.0) * u(gen) * 0.6 * std::exp(-0.3 * static_cast<double>(k)));
    }
  return Network::from_edge_filters(n, pre, post, filt, T);
}

}  // namespace cascade::test
