// The model extension point. A model is a plain struct of parameters with a
// few functions; the engines (CPU now, CUDA later) are templates over it, so a
// new model needs no engine change. See docs/custom-models.md and
// examples/custom_model.cpp. Built-in models live beside this file.
//
// A model provides:
//   static constexpr const char* kName;                 // "my_model"
//   static constexpr bool kAllowsSelfCoupling;          // may W0 have a diagonal?
//   template <class Self, class Visit>
//   static void for_each_param(Self& m, Visit&& v);      // v(name, double&|int&, ParamFlags)
//   void validate() const;                              // throws cascade::Error naming the parameter
//   FilterSpec filters() const;                         // how spike history becomes drive (host)
//   CASCADE_HD double input(const InputTerms&, const NeuronStream&) const;  // g
//   CASCADE_HD double rate(double g) const;             // phi(g)
//   CASCADE_HD Emission emit(double rate, const NeuronStream&) const;       // spikes
// Everything marked CASCADE_HD is the single copy of the model's math, shared
// by the CPU engine and the CUDA kernels.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cascade/config.hpp"
#include "cascade/error.hpp"
#include "cascade/math.hpp"
#include "cascade/rng.hpp"

namespace cascade {

/// How the weighted spike drive y_i(t) = sum_j W0[j,i] x_j(t) enters g.
enum class CouplingKind : std::uint8_t {
  kNone,          // no recurrent drive
  kTruncatedExp,  // S(t) = sum_{k<window} decay^k y(t-1-k)      (GLMs, O(1) per step)
  kTrace,         // S(t) = decay S(t-1) + gain y(t-1)           (SA models' activation)
};

/// The random state a run starts from.
enum class InitialState : std::uint8_t {
  kRandomSpikes,      // 0/1 spikes with probability 1/2 in the newest history slot
  kRandomActivation,  // activation s_j ~ U(0,1); drive sum_j W0[j,i] s_j
};

struct FilterSpec {
  CouplingKind coupling = CouplingKind::kNone;
  double decay = 0.0;  // per-step factor of the exponential
  double gain = 1.0;   // kTrace only: factor on the newest drive (dt)
  int window = 0;      // kTruncatedExp: number of lags
  /// Filter on the neuron's own count history, h(k) for lag k = 0..H-1
  /// (BernoulliGLM's refractory filter). Empty: none.
  std::vector<double> self_filter;
  InitialState initial = InitialState::kRandomSpikes;
  /// The model's history length T as the reference defines it (the number of
  /// columns of its per-edge filter).
  int history_length = 1;
  /// Coupling filter c(k) for k < history_length, lag order (k = 0 is the
  /// previous step), as used by reference-layout per-edge filters.
  std::vector<double> coupling_taps;
};

/// What the engine hands the model to form g for one neuron at one step.
struct InputTerms {
  double coupling;  // filtered recurrent drive (weight units)
  double self;      // self-filter term sum_k h(k) x_i(t-1-k)
  double stimulus;  // external input E_i(t) (0 until stimuli exist)
};

enum EmissionFlags : std::uint32_t {
  kEmitRateCapped = 1u,     // the Poisson mean exceeded kMaxPoissonMean and was capped
  kEmitSaturated = 2u,      // the count reached kMaxCount
  kEmitNonFinite = 4u,      // the rate was NaN or infinite
};

struct Emission {
  std::uint32_t count;
  std::uint32_t flags;
};

/// Largest Poisson mean per neuron per step; larger means are capped and
/// reported (design.md section 5, fix 1). 100 spikes in one step of one neuron
/// is far outside any physiological regime; the cap keeps the sampler bounded.
inline constexpr double kMaxPoissonMean = 100.0;

enum ParamFlags : std::uint32_t {
  kParamNone = 0,
  kParamTunable = 1,  // the reference lets tune() change it
};

/// Helpers shared by the models' validate().
namespace validate {
[[noreturn]] void fail(const char* model, const char* param, double value, const char* expected);
inline void finite(const char* model, const char* param, double v) {
  if (!math::is_finite(v)) fail(model, param, v, "a finite number");
}
inline void positive(const char* model, const char* param, double v) {
  finite(model, param, v);
  if (!(v > 0.0)) fail(model, param, v, "a value > 0");
}
inline void non_negative(const char* model, const char* param, double v) {
  finite(model, param, v);
  if (!(v >= 0.0)) fail(model, param, v, "a value >= 0");
}
inline void at_least(const char* model, const char* param, int v, int lo) {
  if (v < lo) fail(model, param, v, lo == 0 ? "an integer >= 0" : "an integer >= 1");
}
inline void at_most(const char* model, const char* param, int v, int hi, const char* expected) {
  if (v > hi) fail(model, param, v, expected);
}
}  // namespace validate

/// Largest history length a model may request (memory per neuron grows with it).
inline constexpr int kMaxHistory = 100000;

/// Poisson emission shared by the Poisson-type models: cap, sample, report.
CASCADE_HD_INLINE Emission emit_poisson(double mu, const NeuronStream& rng) {
  Emission e{0u, 0u};
  if (!math::is_finite(mu)) {
    e.flags = kEmitNonFinite;
    return e;
  }
  if (mu > kMaxPoissonMean) {
    mu = kMaxPoissonMean;
    e.flags |= kEmitRateCapped;
  }
  const Block4 b = rng.block(Purpose::kEmission, 0);
  e.count = sample_poisson(mu, uniform52(b.w[0], b.w[1]));
  if (e.count >= kMaxCount) e.flags |= kEmitSaturated;
  return e;
}

CASCADE_HD_INLINE Emission emit_bernoulli(double p, const NeuronStream& rng) {
  Emission e{0u, 0u};
  if (!math::is_finite(p)) {
    e.flags = kEmitNonFinite;
    return e;
  }
  const Block4 b = rng.block(Purpose::kEmission, 0);
  e.count = sample_bernoulli(p, b.w[0]);
  return e;
}

}  // namespace cascade
