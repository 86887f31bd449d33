// A user-defined model, added without touching the engine: a Poisson GLM with
// a softplus non-linearity, exponential coupling and an exponential
// refractory self-filter. It follows include/cascade/models/model_api.hpp,
// derivatives included, so tune_model (cascade/extend/tune_model.hpp) tunes it.
#pragma once
#include <cascade/cascade.hpp>

struct SoftplusGLM {
  static constexpr const char* kName = "softplus_glm";
  static constexpr bool kAllowsSelfCoupling = false;  // the diagonal is the refractory filter

  double lambda_0 = 20.0;     // peak rate scale (Hz)
  double theta = 1.0;         // threshold
  double tau = 5.0;           // coupling time constant (ms)
  int T = 50;                 // coupling window (steps)
  double ref_strength = -5.0; // refractory kick
  double ref_tau = 2.0;       // refractory recovery (ms)
  int ref_window = 10;        // refractory window (steps)
  double dt = 1.0;            // ms per step
  double b = 0.0;             // background

  // Parameter indices in for_each_param's order (the derivatives name them).
  enum Param : std::uint32_t { kLambda0, kTheta, kTau, kT, kRefStrength, kRefTau, kRefWindow, kDt, kB };

  template <class Self, class Visit>
  static void for_each_param(Self& m, Visit&& v) {
    v("lambda_0", m.lambda_0, cascade::kParamTunable);
    v("theta", m.theta, cascade::kParamTunable);
    v("tau", m.tau, cascade::kParamTunable);
    v("T", m.T, cascade::kParamNone);
    v("ref_strength", m.ref_strength, cascade::kParamTunable);
    v("ref_tau", m.ref_tau, cascade::kParamNone);
    v("ref_window", m.ref_window, cascade::kParamNone);
    v("dt", m.dt, cascade::kParamNone);
    v("b", m.b, cascade::kParamTunable);
  }

  void validate() const {
    namespace val = cascade::validate;
    val::non_negative(kName, "lambda_0", lambda_0);
    val::finite(kName, "theta", theta);
    val::positive(kName, "tau", tau);
    val::at_least(kName, "T", T, 1);
    val::finite(kName, "ref_strength", ref_strength);
    val::positive(kName, "ref_tau", ref_tau);
    val::at_least(kName, "ref_window", ref_window, 0);
    val::positive(kName, "dt", dt);
    val::finite(kName, "b", b);
  }

  cascade::FilterSpec filters() const {
    cascade::FilterSpec f = cascade::truncated_exponential_filters(T, dt, tau);
    f.self_filter.resize(ref_window);
    for (int k = 0; k < ref_window; ++k) f.self_filter[k] = ref_strength * cascade::math::exp(-k * dt / ref_tau);
    return f;
  }

  // The model's math: one copy, usable by the CPU engine and CUDA kernels.
  CASCADE_HD double input(const cascade::InputTerms& in, const cascade::NeuronStream&) const {
    return in.coupling + in.self + in.stimulus + b;
  }
  CASCADE_HD static double softplus(double x) {  // stable for large |x|
    return x > 0 ? x + cascade::math::log(1.0 + cascade::math::exp(-x)) : cascade::math::log(1.0 + cascade::math::exp(x));
  }
  CASCADE_HD double rate(double g) const { return lambda_0 * softplus(g - theta) * dt / 1000.0; }
  CASCADE_HD cascade::Emission emit(double mu, const cascade::NeuronStream& rng) const {
    return cascade::emit_poisson(mu, rng);
  }

  // The derivatives tune needs, beside the formulas they differentiate.
  CASCADE_HD double rate_derivative(double g) const {  // softplus' = sigmoid
    return lambda_0 * cascade::math::sigmoid(g - theta) * dt / 1000.0;
  }
  CASCADE_HD double rate_partial(std::uint32_t k, const cascade::RateTerms& t) const {
    if (k == kTheta) return -t.dphi_dg;
    if (k == kLambda0) return softplus(t.g - theta) * dt / 1000.0;
    return 0.0;
  }
  CASCADE_HD double input_partial(std::uint32_t k, const cascade::InputTerms&) const { return k == kB ? 1.0 : 0.0; }
  CASCADE_HD cascade::InputTerms input_gradient(const cascade::InputTerms&) const {
    return cascade::InputTerms{1.0, 1.0, 1.0};
  }
  /// tau moves the coupling's decay exp(-dt / tau); ref_strength scales h(k).
  cascade::FilterDerivative filter_derivative(std::uint32_t k) const {
    cascade::FilterDerivative d;
    if (k == kTau) d.decay = cascade::truncated_exponential_decay_derivative(dt, tau);
    if (k == kRefStrength) {
      d.self_filter.resize(ref_window);
      for (int lag = 0; lag < ref_window; ++lag) d.self_filter[lag] = cascade::math::exp(-lag * dt / ref_tau);
    }
    return d;
  }
};
