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
// and, to be tunable (TunableModel below), the derivatives tune needs,
// written beside the forward formulas (k: a parameter's index in
// for_each_param's order):
//   CASCADE_HD double rate_derivative(double g) const;                      // d phi / d g
//   CASCADE_HD double rate_partial(std::uint32_t k, const RateTerms&) const;  // d phi / d theta_k at fixed g
//   CASCADE_HD double input_partial(std::uint32_t k, const InputTerms&) const;  // d g / d theta_k at fixed terms
//   CASCADE_HD InputTerms input_gradient(const InputTerms&) const;          // d g / d (coupling, self, stimulus)
//   FilterDerivative filter_derivative(std::uint32_t k) const;              // d (filters) / d theta_k (host)
//   CASCADE_HD double kink_distance(double g) const;   // optional: distance to a kink of phi (relu)
// and, to have its connectivity fitted from spikes (cascade/fit.hpp), the law
// its emit() samples, beside rate_derivative and input_gradient:
//   static constexpr EmissionLaw kEmission;
// Everything marked CASCADE_HD is the single copy of the model's math, shared
// by the CPU engine and the CUDA kernels.
#pragma once
#include <concepts>
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

/// The distribution of a neuron's count given its rate phi(g): what the
/// connectivity fit (cascade/fit.hpp) maximises the likelihood of. A model
/// declares it as `static constexpr EmissionLaw kEmission`; one without it
/// (ThresholdSAM: a hard threshold on unobserved noise) has no likelihood.
enum class EmissionLaw : std::uint8_t {
  kBernoulli,  // count 0/1 with probability phi
  kPoisson,    // count ~ Poisson(phi)
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

/// What tune's tangent pass knows at one neuron-step when it asks a model for
/// the partial derivatives of its rate: g, phi(g) and d phi / d g.
struct RateTerms {
  double g;
  double phi;
  double dphi_dg;
};

/// How a model's filters move with one of its parameters (host): the
/// derivative of the coupling filter's decay, and of the self filter h(k) for
/// each lag (empty: the parameter does not touch it). The gain and the
/// window are not differentiated.
struct FilterDerivative {
  double decay = 0.0;
  std::vector<double> self_filter;
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

/// A model tune can differentiate (docs/custom-models.md, "Tunable models").
/// The tangent pass forms d phi / d theta_k at every neuron-step from these:
///   rate_partial(k) + phi'(g) * [input_partial(k) + dg/dcoupling * dS/dtheta_k + dg/dself * dself/dtheta_k]
/// with dS and dself from the filter derivatives. The tangent pass gives
/// input_partial and input_gradient the filtered terms with stimulus = 0 (the
/// engine's tap holds g, not the stimulus): a model's g must be linear in the
/// stimulus term for its stimulus gradients to hold.
template <class M>
concept TunableModel = requires(const M& m, double g, std::uint32_t k, const RateTerms& t, const InputTerms& in) {
  { m.rate_derivative(g) } -> std::convertible_to<double>;
  { m.rate_partial(k, t) } -> std::convertible_to<double>;
  { m.input_partial(k, in) } -> std::convertible_to<double>;
  { m.input_gradient(in) } -> std::convertible_to<InputTerms>;
  { m.filter_derivative(k) } -> std::convertible_to<FilterDerivative>;
};

/// Why model M cannot be tuned (its kNotTunable reason, or the missing derivatives).
template <class M>
std::string not_tunable_reason() {
  if constexpr (requires { M::kNotTunable; }) return M::kNotTunable;
  else
    return "it does not provide the derivatives tune needs (rate_derivative, rate_partial, input_partial, "
           "input_gradient, filter_derivative; docs/custom-models.md)";
}

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
