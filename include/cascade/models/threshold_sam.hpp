// ThresholdSAM: synaptic-activation model with a noisy background and a hard
// threshold. g = r sum_j W0[j,i] s_j + b (1 + m xi) + E, xi ~ N(0, sigma^2),
// m ~ Bernoulli(rho); spike (count 1) where g > theta. The non-linearity is
// the identity. Divergence (design.md section 5, fix 3): the reference
// computes b (1 + m xi^2).
#pragma once
#include "cascade/models/sa_common.hpp"

namespace cascade {

struct ThresholdSAM {
  static constexpr const char* kName = "threshold_sam";
  static constexpr bool kAllowsSelfCoupling = true;
  /// tune refuses it (it provides no derivatives): this is why.
  static constexpr const char* kNotTunable =
      "it has no tunable model parameters and an identity non-linearity, so its expected 'rate' is g itself, not a "
      "firing rate";
  /// The connectivity fit refuses it (no kEmission): this is why.
  static constexpr const char* kNoLikelihood =
      "its spikes are a hard threshold of g with unobserved Gaussian background noise, not draws from a rate, so "
      "it has no point-process likelihood to maximise";

  double r = 0.025;
  double b = 0.001;
  double tau = 10.0;
  double dt = 0.1;
  double sigma = 0.3;
  double rho = 0.07;
  double theta = 0.001378;

  template <class Self, class Visit>
  static void for_each_param(Self& m, Visit&& v) {
    v("r", m.r, kParamNone);
    v("b", m.b, kParamNone);
    v("tau", m.tau, kParamNone);
    v("dt", m.dt, kParamNone);
    v("sigma", m.sigma, kParamNone);
    v("rho", m.rho, kParamNone);
    v("theta", m.theta, kParamNone);
  }

  void validate() const {
    validate::finite(kName, "r", r);
    validate::finite(kName, "b", b);
    validate_activation(kName, dt, tau);
    validate::non_negative(kName, "sigma", sigma);
    validate::non_negative(kName, "rho", rho);
    if (rho > 1.0) validate::fail(kName, "rho", rho, "a probability in [0, 1]");
    validate::finite(kName, "theta", theta);
  }

  FilterSpec filters() const { return activation_trace_filters(dt, tau); }

  /// The background noise term m * xi (one Philox block per neuron and step).
  CASCADE_HD double background_noise(const NeuronStream& rng) const {
    const Block4 blk = rng.block(Purpose::kNoise, 0);
    if (!(uniform32(blk.w[0]) < rho)) return 0.0;
    // u1 in (0,1) from 52 bits; u2 from 32 bits.
    return sigma * normal_box_muller(uniform52(blk.w[1], blk.w[2]), uniform32(blk.w[3]));
  }

  CASCADE_HD double input(const InputTerms& in, const NeuronStream& rng) const {
    return r * in.coupling + b * (1.0 + background_noise(rng)) + in.stimulus;
  }
  CASCADE_HD double rate(double g) const { return g; }
  CASCADE_HD Emission emit(double g, const NeuronStream&) const {
    if (!math::is_finite(g)) return Emission{0u, kEmitNonFinite};
    return Emission{g > theta ? 1u : 0u, 0u};
  }
};

}  // namespace cascade
