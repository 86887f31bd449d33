// PoissonGLM: exponential non-linearity, Poisson emission.
// c(k) = exp(-k dt / tau), k < T; g = r * sum + b + E; mu = exp(beta g) / alpha * dt.
// Divergence (design.md section 5, fix 1): counts are recorded and fed back
// as counts (the reference multiplies them by dt); mu is capped at
// kMaxPoissonMean and counts saturate at 255, both reported.
#pragma once
#include "cascade/models/model_api.hpp"
#include "cascade/models/model_parts.hpp"

namespace cascade {

/// c(k) = exp(-k dt / tau) for k < T: the GLMs' truncated exponential coupling.
inline FilterSpec truncated_exponential_filters(int T, double dt, double tau) {
  FilterSpec f;
  f.history_length = T;
  f.initial = InitialState::kRandomSpikes;
  f.coupling = CouplingKind::kTruncatedExp;
  f.decay = math::exp(-dt / tau);
  f.gain = 1.0;
  f.window = T;
  f.coupling_taps.resize(T);
  for (int k = 0; k < T; ++k) f.coupling_taps[k] = math::exp(-(k * dt) / tau);
  return f;
}

/// d decay / d tau of truncated_exponential_filters: decay = exp(-dt / tau).
inline double truncated_exponential_decay_derivative(double dt, double tau) {
  return math::exp(-dt / tau) * dt / (tau * tau);
}

struct PoissonGLM : LinearInput<PoissonGLM> {
  static constexpr const char* kName = "poisson_glm";
  static constexpr bool kAllowsSelfCoupling = true;
  static constexpr EmissionLaw kEmission = EmissionLaw::kPoisson;  // emit() samples it (fit's likelihood)

  double alpha = 15.9;
  double beta = 10.0;
  int T = 200;
  double tau = 10.0;
  double dt = 0.1;
  double r = 0.025;
  double b = 0.001;

  // Parameter indices in for_each_param's order (the derivatives name them).
  enum Param : std::uint32_t { kAlpha, kBeta, kT, kTau, kDt, kR, kB };

  template <class Self, class Visit>
  static void for_each_param(Self& m, Visit&& v) {
    v("alpha", m.alpha, kParamTunable);
    v("beta", m.beta, kParamTunable);
    v("T", m.T, kParamNone);
    v("tau", m.tau, kParamTunable);
    v("dt", m.dt, kParamNone);
    v("r", m.r, kParamTunable);
    v("b", m.b, kParamTunable);
  }

  void validate() const {
    validate::positive(kName, "alpha", alpha);
    validate::finite(kName, "beta", beta);
    validate::at_least(kName, "T", T, 1);
    validate::at_most(kName, "T", T, kMaxHistory, "an integer <= 100000");
    validate::positive(kName, "tau", tau);
    validate::positive(kName, "dt", dt);
    validate::finite(kName, "r", r);
    validate::finite(kName, "b", b);
  }

  FilterSpec filters() const { return truncated_exponential_filters(T, dt, tau); }

  CASCADE_HD double rate(double g) const { return math::exp(beta * g) / alpha * dt; }
  CASCADE_HD Emission emit(double mu, const NeuronStream& rng) const { return emit_poisson(mu, rng); }

  // --- derivatives (tune) ---------------------------------------------------
  CASCADE_HD double rate_derivative(double g) const { return beta * rate(g); }
  CASCADE_HD double rate_partial(std::uint32_t k, const RateTerms& t) const {
    return k == kAlpha ? -t.phi / alpha : k == kBeta ? t.g * t.phi : 0.0;
  }
  FilterDerivative filter_derivative(std::uint32_t k) const {
    FilterDerivative d;
    if (k == kTau) d.decay = truncated_exponential_decay_derivative(dt, tau);
    return d;
  }
};

}  // namespace cascade
