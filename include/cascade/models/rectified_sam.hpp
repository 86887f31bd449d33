// RectifiedSAM: synaptic-activation model with a rectified-linear rate and
// Poisson emission. g = r sum_j W0[j,i] s_j + b + E; mu = lambda_0 relu(g - theta) dt.
#pragma once
#include "cascade/models/model_parts.hpp"
#include "cascade/models/sa_common.hpp"

namespace cascade {

struct RectifiedSAM : LinearInput<RectifiedSAM>, RectifiedRate<RectifiedSAM> {
  static constexpr const char* kName = "rectified_sam";
  static constexpr bool kAllowsSelfCoupling = true;
  static constexpr EmissionLaw kEmission = EmissionLaw::kPoisson;  // emit() samples it (fit's likelihood)

  double lambda_0 = 1.0861;
  double theta = -0.0137;
  double tau = 10.0;
  double dt = 0.1;
  double r = 0.025;
  double b = 0.001;

  // Parameter indices in for_each_param's order (the derivatives name them).
  enum Param : std::uint32_t { kLambda0, kTheta, kTau, kDt, kR, kB };

  template <class Self, class Visit>
  static void for_each_param(Self& m, Visit&& v) {
    v("lambda_0", m.lambda_0, kParamTunable);
    v("theta", m.theta, kParamTunable);
    v("tau", m.tau, kParamTunable);
    v("dt", m.dt, kParamNone);
    v("r", m.r, kParamTunable);
    v("b", m.b, kParamTunable);
  }

  void validate() const {
    validate::non_negative(kName, "lambda_0", lambda_0);
    validate::finite(kName, "theta", theta);
    validate_activation(kName, dt, tau);
    validate::finite(kName, "r", r);
    validate::finite(kName, "b", b);
  }

  FilterSpec filters() const { return activation_trace_filters(dt, tau); }

  // input and rate with their derivatives: LinearInput, RectifiedRate (model_parts.hpp).
  FilterDerivative filter_derivative(std::uint32_t k) const {
    FilterDerivative d;
    if (k == kTau) d.decay = activation_trace_decay_derivative(dt, tau);
    return d;
  }
};

}  // namespace cascade
