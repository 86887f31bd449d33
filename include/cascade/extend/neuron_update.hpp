// The per-neuron part of a step, shared by the CPU engine and the CUDA
// kernels: fold the exact integer drive into the filter state, form g, the
// rate, and emit. The one place where filter state meets the model's math.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cascade/config.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/rng.hpp"

namespace cascade {

/// Model-wide filter constants, derived once on the host from FilterSpec.
struct FilterConsts {
  CouplingKind coupling = CouplingKind::kNone;
  double decay = 0.0;         // a
  double gain = 1.0;          // factor on the newest drive (trace)
  double decay_window = 0.0;  // a^L: weight of the drive leaving a truncated window
  std::uint32_t self_len = 0;
  std::uint32_t ring_len = 0;
};

/// The constants of a model's filters as the engines apply them (host code;
/// both engines call this). Per-edge-filter networks bring their own filters:
/// the model's coupling is then off.
inline FilterConsts make_filter_consts(const FilterSpec& spec, bool per_edge, std::size_t ring_len,
                                       std::size_t self_len) {
  FilterConsts c;
  c.coupling = per_edge ? CouplingKind::kNone : spec.coupling;
  c.decay = spec.decay;
  c.gain = spec.gain;
  double aL = 1.0;
  for (std::size_t k = 0; k < ring_len && !per_edge; ++k) aL *= spec.decay;
  c.decay_window = aL;
  c.self_len = static_cast<std::uint32_t>(self_len);
  c.ring_len = static_cast<std::uint32_t>(ring_len);
  return c;
}

/// Views of one neuron's state (slot).
struct NeuronState {
  double* S;             // filtered drive / activation drive
  std::int64_t* acc;     // exact drive y accumulated by the scatter (consumed here)
  std::int64_t* ring;    // truncated exp: y history, ring_len entries; per-edge: future drive
  std::uint8_t* xhist;   // own count history, self_len entries
  std::size_t stride;    // distance between a neuron's successive ring / history entries
  std::uint8_t xlast;    // own count at the previous step
};

struct StepResult {
  double g;
  double rate;
  Emission emission;
};

/// q * s rounded to the nearest integer (ties to even): one IEEE multiply and
/// one rounding, identical on host and device. Used to quantise non-integer
/// drives (an SA model's initial activation) before the exact integer sum.
CASCADE_HD_INLINE std::int64_t quantise_product(std::int32_t q, double s) {
#if defined(__CUDA_ARCH__)
  return __double2ll_rn(static_cast<double>(q) * s);
#else
  return static_cast<std::int64_t>(__builtin_llrint(static_cast<double>(q) * s));
#endif
}

/// A replica's random initial state (design.md section 5): spike-history
/// models start from 0/1 spikes with probability 1/2 in the newest slot,
/// activation models from a uniform (0, 1) activation; drawn from the
/// kInitialState block of (seed, first step, instance, replica, neuron).
CASCADE_HD_INLINE std::uint8_t initial_spike(const NeuronStream& rng) {
  return static_cast<std::uint8_t>(sample_bernoulli(0.5, rng.block(Purpose::kInitialState, 0).w[0]));
}
CASCADE_HD_INLINE double initial_activation(const NeuronStream& rng) {
  const Block4 b = rng.block(Purpose::kInitialState, 0);
  return uniform52(b.w[0], b.w[1]);  // in (0, 1)
}

/// Where an engine copies what tune's tangent pass reads (tune/tangent.hpp),
/// for the `steps` steps from global step `first_step` and the `slots` slots
/// from `slot_begin`: per step and slot ([step][slot - slot_begin]) the input
/// g, the coupling state S after the step's fold, the folded drive y (its
/// double value; 0 when nothing was folded) and the emitted count x; and, at
/// the first step, each slot's previous count x0. Pointers are in the
/// engine's memory (host for the CPU engine, device for the GPU engine); a
/// null g means no tap.
struct EpochTap {
  double* g = nullptr;
  double* S = nullptr;
  double* y = nullptr;
  std::uint8_t* x = nullptr;
  std::uint8_t* x0 = nullptr;
  std::uint64_t slots = 0;
  std::uint64_t first_step = 0;
  std::uint64_t steps = 0;
  std::uint64_t slot_begin = 0;

  /// Records slot `slot` at global `step` (called after the update; `y_in`:
  /// the drive folded at this step, `xprev`: the count before it).
  CASCADE_HD void put(std::uint64_t step, std::uint64_t slot, double g_, double S_, double y_in, std::uint8_t xprev,
                      std::uint32_t count) const {
    const std::uint64_t rel = step - first_step, local = slot - slot_begin;
    if (step < first_step || rel >= steps || slot < slot_begin || local >= slots) return;
    const std::uint64_t at = rel * slots + local;
    g[at] = g_;
    S[at] = S_;
    y[at] = y_in;
    x[at] = static_cast<std::uint8_t>(count);
    if (rel == 0) x0[local] = xprev;
  }
};

template <class Model>
struct NeuronUpdate {
  const Model& model;
  FilterConsts c;
  const double* self_filter;  // h(k), c.self_len entries
  double scale;               // 2^exponent of the network's fixed point

  /// Separable filters (the built-in models' own coupling and self filters).
  /// `advance`: fold the previous step's drive and count into the state
  /// first (false only for the first step after setting an activation).
  CASCADE_HD StepResult step(NeuronState& s, std::size_t ring_pos, std::size_t self_pos, double stimulus,
                             const NeuronStream& rng, bool advance) const {
    double S = *s.S;
    if (advance) {
      const std::int64_t y = *s.acc;
      *s.acc = 0;
      const double yd = static_cast<double>(y) * scale;
      if (c.coupling == CouplingKind::kTruncatedExp) {
        const std::int64_t old = s.ring[ring_pos * s.stride];
        s.ring[ring_pos * s.stride] = y;
        S = (c.decay * S + yd) - c.decay_window * (static_cast<double>(old) * scale);
      } else if (c.coupling == CouplingKind::kTrace) {
        S = c.decay * S + c.gain * yd;
      }
      *s.S = S;
      if (c.self_len) s.xhist[self_pos * s.stride] = s.xlast;
    }
    double self = 0.0;
    // Lag k sits at position (self_pos - k) mod self_len; stepping back
    // avoids a division per lag (same positions, same order of the sum).
    std::size_t pos = self_pos;
    for (std::uint32_t k = 0; k < c.self_len; ++k) {
      const std::uint8_t x = s.xhist[pos * s.stride];
      if (x) self += self_filter[k] * static_cast<double>(x);
      pos = pos ? pos - 1 : c.self_len - 1;
    }
    return finish(InputTerms{S, self, stimulus}, rng);
  }

  /// General path: arbitrary per-edge filters already scattered into the
  /// future-drive ring; this step's drive sits at ring_pos.
  CASCADE_HD StepResult step_per_edge(NeuronState& s, std::size_t ring_pos, double stimulus,
                                      const NeuronStream& rng) const {
    const std::int64_t z = s.ring[ring_pos * s.stride];
    s.ring[ring_pos * s.stride] = 0;
    return finish(InputTerms{static_cast<double>(z) * scale, 0.0, stimulus}, rng);
  }

  CASCADE_HD StepResult finish(const InputTerms& in, const NeuronStream& rng) const {
    StepResult r;
    r.g = model.input(in, rng);
    r.rate = model.rate(r.g);
    r.emission = model.emit(r.rate, rng);
    if (r.emission.count > kMaxCount) {  // counts are fed back as uint8: saturate, never wrap
      r.emission.count = kMaxCount;
      r.emission.flags |= kEmitSaturated;
    }
    return r;
  }
};

}  // namespace cascade
