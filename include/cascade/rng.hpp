// Counter-based random numbers (Philox4x32-10, Random123) and the samplers
// built on them. A draw is a pure function of
//   (seed, network instance, replica, neuron, global step, purpose, draw index)
// so the same seed gives the same spikes on any backend, batch layout, replica
// range or thread count. The packing is documented in docs/rng.md; changing it
// changes kRngStreamVersion (config.hpp).
#pragma once
#include <Random123/philox.h>

#include <cstdint>

#include "cascade/config.hpp"
#include "cascade/math.hpp"

namespace cascade {

/// What a draw is for; part of the counter so streams never overlap.
enum class Purpose : std::uint32_t {
  kInitialState = 0,  // initial spikes / activation of a replica
  kEmission = 1,      // Bernoulli / Poisson emission
  kNoise = 2,         // model noise (ThresholdSAM background)
  kStimulus = 3,      // stimulus plans (reserved)
  kNetwork = 4,       // network generators (reserved)
};

inline constexpr std::uint64_t kMaxStep = (1ULL << 40) - 1;
inline constexpr std::uint32_t kMaxInstance = (1U << 24) - 1;
inline constexpr std::uint32_t kMaxReplica = (1U << 16) - 1;

struct Block4 {
  std::uint32_t w[4];
};

/// The random stream of one neuron of one replica of one network at one step.
struct NeuronStream {
  std::uint64_t seed;
  std::uint64_t step;      // < 2^40
  std::uint32_t instance;  // < 2^24
  std::uint32_t replica;   // < 2^16
  std::uint32_t neuron;

  /// Philox block number `draw` (< 256) for `purpose`. Counter words:
  ///   c0 = step bits 0..31
  ///   c1 = step bits 32..39 | instance << 8
  ///   c2 = neuron
  ///   c3 = replica << 16 | purpose << 8 | draw
  /// key = (seed low 32 bits, seed high 32 bits).
  CASCADE_HD_INLINE Block4 block(Purpose purpose, std::uint32_t draw) const {
    r123::Philox4x32 gen;
    r123::Philox4x32::ctr_type c = {{static_cast<std::uint32_t>(step),
                                     static_cast<std::uint32_t>((step >> 32) & 0xffu) | (instance << 8),
                                     neuron,
                                     (replica << 16) | (static_cast<std::uint32_t>(purpose) << 8) | (draw & 0xffu)}};
    r123::Philox4x32::key_type k = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    const auto r = gen(c, k);
    return Block4{{r[0], r[1], r[2], r[3]}};
  }
};

/// Uniform in (0, 1) with 32 random bits: (w + 1/2) 2^-32, exact in double.
CASCADE_HD_INLINE double uniform32(std::uint32_t w) {
  return (static_cast<double>(w) + 0.5) * (1.0 / 4294967296.0);
}

/// Uniform in (0, 1) with 52 random bits taken from two words:
/// (m + 1/2) 2^-52, exact in double (53 bits would round the top value to 1).
CASCADE_HD_INLINE double uniform52(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t m = (static_cast<std::uint64_t>(hi) << 20) | (lo >> 12);
  return (static_cast<double>(m) + 0.5) * (1.0 / 4503599627370496.0);
}

/// Bernoulli(p): one 32-bit word compared with p in double (the agreed form).
CASCADE_HD_INLINE std::uint32_t sample_bernoulli(double p, std::uint32_t w) {
  return uniform32(w) < p ? 1u : 0u;
}

/// Largest count a step can emit: counts are stored and fed back as uint8.
inline constexpr std::uint32_t kMaxCount = 255;

/// Poisson(mu) by inversion with one 52-bit uniform u: walk the CDF from 0.
/// Exact up to double rounding; O(result) work. Stops early when further
/// terms cannot change the accumulated CDF; saturates at kMaxCount.
/// Callers cap mu (kMaxPoissonMean) so the saturation is never reached in
/// practice (P[Poisson(100) > 255] < 1e-30).
CASCADE_HD_INLINE std::uint32_t sample_poisson(double mu, double u) {
  if (!(mu > 0.0)) return 0u;
  double p = math::exp(-mu);
  double F = p;
  std::uint32_t k = 0;
  while (u > F) {
    if (k == kMaxCount) break;
    ++k;
    p = p * mu / static_cast<double>(k);
    const double next = F + p;
    if (next == F) break;  // the tail can no longer move the CDF
    F = next;
  }
  return k;
}

/// Standard normal by Box-Muller from u1 in (0,1] and u2 in (0,1).
CASCADE_HD_INLINE double normal_box_muller(double u1, double u2) {
  return math::sqrt(-2.0 * math::log(u1)) * math::cos(math::kTwoPi * u2);
}

}  // namespace cascade
