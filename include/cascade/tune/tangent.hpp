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

/// Adds slot `slot`'s terms of the window (steps >= window_start of the tap)
/// to phi, dphi[0..n_slots) and kink. `slot_dtv` is scratch of n_slots
/// entries, `in_mask` the slot masks of this neuron (slot_masks).
template <class Model>
CASCADE_HD_INLINE void tangent_slot(const Model& m, const Coupling& cf, const SelfTerms& self_terms,
                                    const EpochTap& tap, std::uint64_t slot, std::uint64_t window_start,
                                    const StimulusView& stim, const Slot* slots, std::uint32_t n_slots,
                                    double* slot_dtv, const bool* in_mask, double& phi, double* dphi, double& kink) {
  const std::uint64_t N = tap.slots, L = cf.L;
  const double lam = static_cast<double>(cf.L) * cf.aLm1;
  double dS = 0.0, S_prev = 0.0;
  for (std::uint64_t s = 0; s < tap.steps; ++s) {
    const double S = tap.S[s * N + slot];
    if constexpr (kActivationModel<Model>) {
      if (s >= 1) dS = cf.a * dS + cf.da * S_prev;  // S(0) is the activation drive, read as given
    } else if (L > 0) {
      const double old = s >= L ? tap.y[(s - L) * N + slot] : 0.0;  // the drive leaving the window
      dS = cf.a * dS + S_prev - lam * old;
    }
    S_prev = S;
    if (s < window_start) continue;
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
    terms_at(m, cf, tap.g[s * N + slot], S, dS, self, dself_beta, dself_rel, slots, n_slots, slot_dtv, in_mask, phi,
             dphi, kink);
  }
}

}  // namespace cascade::replay
