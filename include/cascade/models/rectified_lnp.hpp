// RectifiedLNP: rectified-linear non-linearity, Poisson emission.
// c(k) = exp(-k dt / tau), k < T; g = r * sum + b + E; mu = lambda_0 relu(g - theta) dt.
#pragma once
#include "cascade/models/model_api.hpp"
#include "cascade/models/model_parts.hpp"
#include "cascade/models/poisson_glm.hpp"

namespace cascade {

struct RectifiedLNP : LinearInput<RectifiedLNP>, RectifiedRate<RectifiedLNP> {
  static constexpr const char* kName = "rectified_lnp";
  static constexpr bool kAllowsSelfCoupling = true;
  static constexpr EmissionLaw kEmission = EmissionLaw::kPoisson;  // emit() samples it (fit's likelihood)

  double lambda_0 = 9.8;
  double theta = -0.002;
  int T = 200;
  double tau = 10.0;
  double dt = 0.1;
  double r = 0.025;
  double b = 0.001;

  // Parameter indices in for_each_param's order (the derivatives name them).
  enum Param : std::uint32_t { kLambda0, kTheta, kT, kTau, kDt, kR, kB };

  template <class Self, class Visit>
  static void for_each_param(Self& m, Visit&& v) {
    v("lambda_0", m.lambda_0, kParamTunable);
    v("theta", m.theta, kParamTunable);
    v("T", m.T, kParamNone);
    v("tau", m.tau, kParamTunable);
    v("dt", m.dt, kParamNone);
    v("r", m.r, kParamTunable);
    v("b", m.b, kParamTunable);
  }

  void validate() const {
    validate::non_negative(kName, "lambda_0", lambda_0);
    validate::finite(kName, "theta", theta);
    validate::at_least(kName, "T", T, 1);
    validate::at_most(kName, "T", T, kMaxHistory, "an integer <= 100000");
    validate::positive(kName, "tau", tau);
    validate::positive(kName, "dt", dt);
    validate::finite(kName, "r", r);
    validate::finite(kName, "b", b);
  }

  FilterSpec filters() const { return truncated_exponential_filters(T, dt, tau); }

  // input and rate with their derivatives: LinearInput, RectifiedRate (model_parts.hpp).
  FilterDerivative filter_derivative(std::uint32_t k) const {
    FilterDerivative d;
    if (k == kTau) d.decay = truncated_exponential_decay_derivative(dt, tau);
    return d;
  }
};

}  // namespace cascade
