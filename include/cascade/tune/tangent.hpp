// tune's tangent pass: the objective's sums and their derivatives for one
// neuron slot, read from what the engine itself computed during the epoch
// (engine/neuron_update.hpp EpochTap: g, S, the folded drive y, the counts).
// The spikes are the engine's, g and S are the engine's (exact integer
// drives), and only the tangents dS/d(decay) and the self-filter derivative
// sums are formed here, forward in time, with the replay's formulas
// (replay_math.hpp): one pass over the epoch, no second scatter. Shared by
// the CPU tune loop (host/tune.cpp) and the GPU one (kernels/gpu_tune.cu).
#pragma once
#include <cstdint>

#include "cascade/engine/neuron_update.hpp"
#include "cascade/tune/replay_math.hpp"

namespace cascade::replay {

/// The self-filter values and derivatives by lag (BernoulliGLM), H lags.
struct SelfTerms {
  const double* h;
  const double* dh_beta;
  const double* dh_rel;
  int H;
};

/// Whether each slot's stimulus reaches global neuron `global`.
CASCADE_HD_INLINE void slot_masks(const StimulusView& stim, const Slot* slots, std::uint32_t n_slots,
                                  std::uint64_t global, bool* in_mask) {
  for (std::uint32_t q = 0; q < n_slots; ++q) {
    in_mask[q] = true;
    if (slots[q].p == P::kStimulus) {
      const std::int64_t mo = stim.mask_offset[slots[q].stimulus];
      in_mask[q] = mo < 0 || stim.masks[mo + static_cast<std::int64_t>(global)];
    }
  }
}

/// The tangent's recursion is linear with a constant factor:
/// dS(s) = a dS(s-1) + c(s), dS(-1) = 0. c(s) of slot `slot` at step s (from
/// the tap: S(s-1) and, for a truncated window, the drive leaving it).
template <class Model>
CASCADE_HD_INLINE double tangent_input(const Coupling& cf, const EpochTap& tap, std::uint64_t slot, std::uint64_t s) {
  const std::uint64_t N = tap.slots;
  const double S_prev = s > 0 ? tap.S[(s - 1) * N + slot] : 0.0;
  if constexpr (kActivationModel<Model>) {
    return s >= 1 ? cf.da * S_prev : 0.0;  // S(0) is the activation drive, read as given: dS(0) = 0
  } else {
    if (cf.L == 0) return 0.0;
    const double old = s >= cf.L ? tap.y[(s - cf.L) * N + slot] : 0.0;  // the drive leaving the window
    return S_prev - static_cast<double>(cf.L) * cf.aLm1 * old;
  }
}

/// Adds the terms of slot `slot` at step s (>= the window's start) given its
/// tangent dS(s). `slot_dtv` is scratch of n_slots entries, `in_mask` the
/// slot masks of this neuron (slot_masks).
template <class Model>
CASCADE_HD_INLINE void step_terms(const Model& m, const Coupling& cf, const SelfTerms& self_terms, const EpochTap& tap,
                                  std::uint64_t slot, std::uint64_t s, std::uint64_t window_start, double dS,
                                  const StimulusView& stim, const Slot* slots, std::uint32_t n_slots, double* slot_dtv,
                                  const bool* in_mask, double& phi, double* dphi, double& kink) {
  const std::uint64_t N = tap.slots;
  const std::int64_t t = static_cast<std::int64_t>(s - window_start);
  if (stim.count > 0)
    for (std::uint32_t q = 0; q < n_slots; ++q)
      if (slots[q].p == P::kStimulus)
        slot_dtv[q] = stimulus_time_derivative(stim.params[slots[q].stimulus], stim.events, t, slots[q].sp);
  double self = 0.0, dself_beta = 0.0, dself_rel = 0.0;
  for (int k = 0; k < self_terms.H; ++k) {
    const std::int64_t at = static_cast<std::int64_t>(s) - 1 - k;  // x(s - 1 - k); x(-1) is the initial state
    const std::uint8_t x = at >= 0 ? tap.x[static_cast<std::uint64_t>(at) * N + slot] : at == -1 ? tap.x0[slot] : 0;
    if (x == 0) continue;
    const double xd = static_cast<double>(x);
    self += self_terms.h[k] * xd;
    dself_beta += self_terms.dh_beta[k] * xd;
    dself_rel += self_terms.dh_rel[k] * xd;
  }
  terms_at(m, cf, tap.g[s * N + slot], tap.S[s * N + slot], dS, self, dself_beta, dself_rel, slots, n_slots, slot_dtv,
           in_mask, phi, dphi, kink);
}

/// Adds slot `slot`'s terms of the window (steps >= window_start of the tap)
/// to phi, dphi[0..n_slots) and kink, walking the epoch forward in time.
template <class Model>
CASCADE_HD_INLINE void tangent_slot(const Model& m, const Coupling& cf, const SelfTerms& self_terms,
                                    const EpochTap& tap, std::uint64_t slot, std::uint64_t window_start,
                                    const StimulusView& stim, const Slot* slots, std::uint32_t n_slots,
                                    double* slot_dtv, const bool* in_mask, double& phi, double* dphi, double& kink) {
  double dS = 0.0;
  for (std::uint64_t s = 0; s < tap.steps; ++s) {
    dS = cf.a * dS + tangent_input<Model>(cf, tap, slot, s);
    if (s >= window_start)
      step_terms(m, cf, self_terms, tap, slot, s, window_start, dS, stim, slots, n_slots, slot_dtv, in_mask, phi, dphi,
                 kink);
  }
}

}  // namespace cascade::replay
