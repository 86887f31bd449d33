// BernoulliGLM: logistic GLM with exponential coupling and a refractory
// self-filter; Bernoulli emission. Semantics as the reference's code
// (design.md section 5): T = max(coupling_window, abs_ref_scale +
// rel_ref_scale); c(k) = exp(-|alpha| dt k) for k < coupling_window;
// h(k) = abs_ref_strength for k < abs_ref_scale, rel_ref_strength
// exp(-|beta| (k - abs_ref_scale) dt) for abs_ref_scale <= k <=
// abs_ref_scale + rel_ref_scale (k < T); r scales coupling and refractory
// terms; p = sigmoid(g - theta) dt.
#pragma once
#include <algorithm>

#include "cascade/models/model_api.hpp"

namespace cascade {

struct BernoulliGLM {
  static constexpr const char* kName = "bernoulli_glm";
  static constexpr bool kAllowsSelfCoupling = false;  // the diagonal holds the refractory filter
  static constexpr EmissionLaw kEmission = EmissionLaw::kBernoulli;  // emit() samples it (fit's likelihood)

  // Defaults: the reference test-suite values.
  double theta = 5.0;
  double dt = 1.0;
  int coupling_window = 5;
  double alpha = 0.2;
  int abs_ref_scale = 3;
  double abs_ref_strength = -100.0;
  int rel_ref_scale = 7;
  double rel_ref_strength = -30.0;
  double beta = 0.5;
  double r = 1.0;

  // Parameter indices in for_each_param's order (the derivatives name them).
  enum Param : std::uint32_t {
    kTheta, kDt, kCouplingWindow, kAlpha, kAbsRefScale, kAbsRefStrength, kRelRefScale, kRelRefStrength, kBeta, kR
  };

  template <class Self, class Visit>
  static void for_each_param(Self& m, Visit&& v) {
    v("theta", m.theta, kParamTunable);
    v("dt", m.dt, kParamNone);
    v("coupling_window", m.coupling_window, kParamNone);
    v("alpha", m.alpha, kParamTunable);
    v("abs_ref_scale", m.abs_ref_scale, kParamNone);
    v("abs_ref_strength", m.abs_ref_strength, kParamNone);
    v("rel_ref_scale", m.rel_ref_scale, kParamNone);
    v("rel_ref_strength", m.rel_ref_strength, kParamTunable);
    v("beta", m.beta, kParamTunable);
    v("r", m.r, kParamTunable);
  }

  int T() const { return std::max(coupling_window, abs_ref_scale + rel_ref_scale); }

  void validate() const {
    validate::finite(kName, "theta", theta);
    validate::positive(kName, "dt", dt);
    // p = sigmoid(.) dt must be a probability.
    if (dt > 1.0) validate::fail(kName, "dt", dt, "dt <= 1 (p = sigmoid(g - theta) * dt must stay <= 1)");
    validate::at_least(kName, "coupling_window", coupling_window, 0);
    validate::at_least(kName, "abs_ref_scale", abs_ref_scale, 0);
    validate::at_least(kName, "rel_ref_scale", rel_ref_scale, 0);
    validate::finite(kName, "alpha", alpha);
    validate::finite(kName, "abs_ref_strength", abs_ref_strength);
    validate::finite(kName, "rel_ref_strength", rel_ref_strength);
    validate::finite(kName, "beta", beta);
    validate::finite(kName, "r", r);
    if (T() < 1)
      validate::fail(kName, "coupling_window", coupling_window,
                     "max(coupling_window, abs_ref_scale + rel_ref_scale) >= 1");
    // The history is the longer of the coupling and refractory filters: each is named as given.
    validate::at_most(kName, "coupling_window", coupling_window, kMaxHistory, "a filter length <= 100000");
    if (static_cast<long long>(abs_ref_scale) + rel_ref_scale > kMaxHistory)
      validate::fail(kName, abs_ref_scale >= rel_ref_scale ? "abs_ref_scale" : "rel_ref_scale",
                     abs_ref_scale >= rel_ref_scale ? abs_ref_scale : rel_ref_scale,
                     "abs_ref_scale + rel_ref_scale <= 100000 (the refractory filter's length)");
  }

  FilterSpec filters() const {
    FilterSpec f;
    const int T_ = T();
    f.history_length = T_;
    f.initial = InitialState::kRandomSpikes;
    const double a = math::exp(-math::abs(alpha) * dt);
    f.coupling = coupling_window > 0 ? CouplingKind::kTruncatedExp : CouplingKind::kNone;
    f.decay = a;
    f.gain = 1.0;
    f.window = coupling_window;
    f.coupling_taps.assign(T_, 0.0);
    for (int k = 0; k < coupling_window; ++k) f.coupling_taps[k] = math::exp(-math::abs(alpha) * dt * k);
    f.self_filter.assign(T_, 0.0);
    for (int k = 0; k < T_; ++k) {
      double h = 0.0;
      if (k < abs_ref_scale) h += abs_ref_strength;
      if (abs_ref_scale <= k && k <= abs_ref_scale + rel_ref_scale)
        h += rel_ref_strength * math::exp(-math::abs(beta) * (k - abs_ref_scale) * dt);
      f.self_filter[k] = h;
    }
    return f;
  }

  CASCADE_HD double input(const InputTerms& in, const NeuronStream&) const {
    return r * (in.coupling + in.self) + in.stimulus;
  }
  CASCADE_HD double rate(double g) const { return math::sigmoid(g - theta) * dt; }
  CASCADE_HD Emission emit(double p, const NeuronStream& rng) const { return emit_bernoulli(p, rng); }

  // --- derivatives (tune) ---------------------------------------------------
  CASCADE_HD double rate_derivative(double g) const {
    const double sg = math::sigmoid(g - theta);
    return dt * sg * (1.0 - sg);
  }
  CASCADE_HD double rate_partial(std::uint32_t k, const RateTerms& t) const { return k == kTheta ? -t.dphi_dg : 0.0; }
  CASCADE_HD double input_partial(std::uint32_t k, const InputTerms& in) const {
    return k == kR ? in.coupling + in.self : 0.0;
  }
  CASCADE_HD InputTerms input_gradient(const InputTerms&) const { return InputTerms{r, r, 1.0}; }
  /// alpha moves the coupling's decay exp(-|alpha| dt); beta and
  /// rel_ref_strength move the relative refractory part of h(k).
  FilterDerivative filter_derivative(std::uint32_t k) const {
    FilterDerivative d;
    if (k == kAlpha) d.decay = -(alpha > 0 ? 1.0 : alpha < 0 ? -1.0 : 0.0) * dt * math::exp(-math::abs(alpha) * dt);
    if (k != kBeta && k != kRelRefStrength) return d;
    const double sb = beta > 0 ? 1.0 : beta < 0 ? -1.0 : 0.0;
    d.self_filter.assign(T(), 0.0);
    for (int lag = abs_ref_scale; lag <= abs_ref_scale + rel_ref_scale && lag < T(); ++lag) {
      const double u = (lag - abs_ref_scale) * dt;
      const double e = math::exp(-math::abs(beta) * u);
      d.self_filter[lag] = k == kRelRefStrength ? e : rel_ref_strength * e * (-sb * u);
    }
    return d;
  }
};

}  // namespace cascade
