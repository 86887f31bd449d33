// The replay's per-neuron math, shared by the CPU replay (host/tune.cpp) and
// the GPU replay (kernels/gpu_replay.cu): which derivative each selected
// parameter needs, the filter constants and their derivatives, and the terms
// one neuron-step adds to R and dR/dθ. One copy of the gradient's formulas.
#pragma once
#include <cstdint>

#include "cascade/config.hpp"
#include "cascade/math.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/stimulus/stimulus_eval.hpp"

namespace cascade::replay {

enum class P : std::uint32_t { kTheta, kR, kAlpha, kBeta, kRelRef, kTau, kB, kLambda0, kStimulus };
enum class SP : std::uint32_t { kStrength, kAmplitude, kPeriod, kPhase, kBaseline };

struct Slot {
  P p = P::kTheta;
  std::uint32_t stimulus = 0;  // for kStimulus
  SP sp = SP::kStrength;
};

/// Most parameters one replay differentiates (the largest selection: five
/// model parameters and four per stimulus for a few stimuli).
inline constexpr std::uint32_t kMaxSlots = 32;
/// Longest self filter the GPU replay keeps per block.
inline constexpr std::uint32_t kMaxSelf = 64;

template <class Model>
inline constexpr bool kActivationModel = std::is_same_v<Model, RectifiedSAM> || std::is_same_v<Model, ThresholdSAM>;

/// d(time value)/d(parameter) of a time-only stimulus at t.
CASCADE_HD_INLINE double stimulus_time_derivative(const StimulusParams& p, const std::int64_t* events, std::int64_t t,
                                                  SP which) {
  if (p.kind == StimulusKind::kRegular || p.kind == StimulusKind::kPoisson) {
    StimulusParams unit = p;
    unit.amplitude = 1.0;
    return stimulus_time_value(unit, events, t);
  }
  if (p.kind != StimulusKind::kSin) return 0.0;
  const double td = static_cast<double>(t);
  if (!(td >= p.start_real) || t >= p.stop) return 0.0;
  const double arg = math::kTwoPi / p.period * (td - p.start_real) * p.dt + p.phase;
  switch (which) {
    case SP::kAmplitude: return math::sin(arg);
    case SP::kPeriod:
      return p.amplitude * math::cos(arg) * (-math::kTwoPi / (p.period * p.period) * (td - p.start_real) * p.dt);
    case SP::kPhase: return p.amplitude * math::cos(arg);
    case SP::kBaseline: return 1.0;
    default: return 0.0;
  }
}

/// The coupling filter of a model as the replay differentiates it: decay a
/// and d a / d(its parameter), the gain on the newest drive, the window L and
/// a^L, a^(L-1).
struct Coupling {
  double a = 0.0, da = 0.0, gain = 1.0, aL = 1.0, aLm1 = 0.0;
  std::uint32_t L = 0;
};

template <class Model>
CASCADE_HD_INLINE Coupling coupling_of(const Model& m) {
  Coupling c;
  if constexpr (std::is_same_v<Model, BernoulliGLM>) {
    c.L = static_cast<std::uint32_t>(m.coupling_window);
    c.a = math::exp(-math::abs(m.alpha) * m.dt);
    c.da = -(m.alpha > 0 ? 1.0 : m.alpha < 0 ? -1.0 : 0.0) * m.dt * c.a;
  } else if constexpr (std::is_same_v<Model, PoissonGLM> || std::is_same_v<Model, RectifiedLNP>) {
    c.L = static_cast<std::uint32_t>(m.T);
    c.a = math::exp(-m.dt / m.tau);
    c.da = c.a * m.dt / (m.tau * m.tau);
  } else {
    c.a = 1.0 - m.dt / m.tau;
    c.da = m.dt / (m.tau * m.tau);
    c.gain = m.dt;
  }
  for (std::uint32_t k = 0; k < c.L; ++k) {
    c.aLm1 = c.aL;
    c.aL *= c.a;
  }
  return c;
}

/// BernoulliGLM's self filter h(k) and its derivatives by beta and
/// rel_ref_strength at lag k (zero for the other models).
template <class Model>
CASCADE_HD_INLINE void self_filter_terms(const Model& m, int k, double& h, double& dh_beta, double& dh_rel) {
  h = dh_beta = dh_rel = 0.0;
  if constexpr (std::is_same_v<Model, BernoulliGLM>) {
    const double sb = m.beta > 0 ? 1.0 : m.beta < 0 ? -1.0 : 0.0;
    if (k < m.abs_ref_scale) h += m.abs_ref_strength;
    if (m.abs_ref_scale <= k && k <= m.abs_ref_scale + m.rel_ref_scale) {
      const double u = (k - m.abs_ref_scale) * m.dt;
      const double e = math::exp(-math::abs(m.beta) * u);
      h += m.rel_ref_strength * e;
      dh_rel = e;
      dh_beta = m.rel_ref_strength * e * (-sb * u);
    }
  }
}

template <class Model>
CASCADE_HD_INLINE int self_length(const Model& m) {
  if constexpr (std::is_same_v<Model, BernoulliGLM>) {
    // BernoulliGLM::T() (host-only): the longer of the coupling and refractory windows.
    const int refractory = m.abs_ref_scale + m.rel_ref_scale;
    return m.coupling_window > refractory ? m.coupling_window : refractory;
  } else {
    return 0;
  }
}

/// What one neuron-step of the window adds, given its input g: phi, d phi /
/// d(slot q) for each selected slot, and |g - theta| for the relu models
/// (kink distance). S and dS are the coupling state and its tangent, `self`
/// and its derivatives the self-filter sums (BernoulliGLM), `slot_dtv[q]` the
/// stimulus slot's time derivative at this step and `in_mask[q]` whether its
/// stimulus reaches the neuron.
template <class Model>
CASCADE_HD_INLINE void terms_at(const Model& m, const Coupling& c, double g, double S, double dS, double self,
                                double dself_beta, double dself_rel, const Slot* slots, std::uint32_t n_slots,
                                const double* slot_dtv, const bool* in_mask, double& phi_out, double* dphi,
                                double& kink) {
  double phi, phi_g;
  if constexpr (std::is_same_v<Model, BernoulliGLM>) {
    const double sg = math::sigmoid(g - m.theta);
    phi = sg * m.dt;
    phi_g = m.dt * sg * (1.0 - sg);
  } else if constexpr (std::is_same_v<Model, PoissonGLM>) {
    phi = math::exp(m.beta * g) / m.alpha * m.dt;
    phi_g = m.beta * phi;
  } else {
    phi = m.lambda_0 * math::relu(g - m.theta) * m.dt;
    phi_g = g > m.theta ? m.lambda_0 * m.dt : 0.0;
    const double dist = math::abs(g - m.theta);
    if (dist < kink) kink = dist;
  }
  phi_out += phi;
  for (std::uint32_t q = 0; q < n_slots; ++q) {
    const Slot& sl = slots[q];
    double d = 0.0;
    switch (sl.p) {
      case P::kTheta: d = -phi_g; break;
      case P::kR:
        if constexpr (std::is_same_v<Model, BernoulliGLM>) d = phi_g * (S + self);
        else d = phi_g * S;
        break;
      case P::kB: d = phi_g; break;
      case P::kLambda0:
        if constexpr (!std::is_same_v<Model, BernoulliGLM> && !std::is_same_v<Model, PoissonGLM>)
          d = math::relu(g - m.theta) * m.dt;
        break;
      case P::kAlpha:
        if constexpr (std::is_same_v<Model, BernoulliGLM>) d = phi_g * m.r * dS * c.da;
        else if constexpr (std::is_same_v<Model, PoissonGLM>) d = -phi / m.alpha;
        break;
      case P::kBeta:
        if constexpr (std::is_same_v<Model, BernoulliGLM>) d = phi_g * m.r * dself_beta;
        else if constexpr (std::is_same_v<Model, PoissonGLM>) d = g * phi;
        break;
      case P::kRelRef:
        if constexpr (std::is_same_v<Model, BernoulliGLM>) d = phi_g * m.r * dself_rel;
        break;
      case P::kTau:
        if constexpr (kActivationModel<Model>) d = phi_g * m.r * dS;
        else if constexpr (!std::is_same_v<Model, BernoulliGLM>) d = phi_g * m.r * dS * c.da;
        break;
      case P::kStimulus:
        if (in_mask[q]) d = phi_g * slot_dtv[q];
        break;
    }
    dphi[q] += d;
  }
}

/// The model's input g from the coupling state S, the self-filter sum and the
/// stimulus input E: the model's own input() (deterministic for every
/// tunable model, so the stream is not read).
template <class Model>
CASCADE_HD_INLINE double input_of(const Model& m, double S, double self, double E) {
  return m.input(InputTerms{S, self, E}, NeuronStream{0, 0, 0, 0, 0});
}

/// terms_at with g formed from S, self and E (the replay over recorded spikes).
template <class Model>
CASCADE_HD_INLINE void neuron_terms(const Model& m, const Coupling& c, double S, double dS, double self,
                                    double dself_beta, double dself_rel, double E, const Slot* slots, std::uint32_t n_slots,
                                    const double* slot_dtv, const bool* in_mask, double& phi_out, double* dphi,
                                    double& kink) {
  terms_at(m, c, input_of(m, S, self, E), S, dS, self, dself_beta, dself_rel, slots, n_slots, slot_dtv, in_mask,
           phi_out, dphi, kink);
}

/// The filter state update of one neuron at one step from its drive y:
/// activation models integrate (trace); the GLMs keep a truncated window
/// (ring slot `old` leaves). dS is d S / d a.
template <class Model>
CASCADE_HD_INLINE void fold_drive(const Coupling& c, double y, double& S, double& dS, double* ring_slot) {
  if constexpr (kActivationModel<Model>) {
    const double S_prev = S;
    S = c.a * S + c.gain * y;
    dS = c.a * dS + c.da * S_prev;
  } else if (c.L > 0) {
    const double old = *ring_slot;
    const double S_prev = S;
    S = c.a * S + y - c.aL * old;
    dS = c.a * dS + S_prev - static_cast<double>(c.L) * c.aLm1 * old;
    *ring_slot = y;
  }
}

}  // namespace cascade::replay
