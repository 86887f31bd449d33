// tune's tangent pass: the objective's sums and their derivatives for one
// neuron slot, read from what the engine itself computed during the epoch
// (engine/neuron_update.hpp EpochTap: g, S, the folded drive y, the counts).
// The spikes, g and S are the engine's; only the tangent of the coupling
// state and the self-filter derivative sums are formed here, forward in time,
// and every derivative of phi comes from the model's own header
// (TunableModel in models/model_api.hpp): no model is named here. Shared by
// the CPU runner (tune/epoch_runner.hpp) and the GPU one (kernels/gpu_tune.cu).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cascade/config.hpp"
#include "cascade/extend/engine_layer.hpp"
#include "cascade/extend/neuron_update.hpp"
#include "cascade/error.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/stimulus/stimulus_eval.hpp"

namespace cascade::tangent {

/// Most parameters one pass differentiates (five model parameters and four
/// per stimulus for a few stimuli), and most of them moving the self filter.
inline constexpr std::uint32_t kMaxSlots = 32;
inline constexpr std::uint32_t kMaxSelfRows = 8;

/// One tuned parameter as the pass differentiates it.
struct Slot {
  std::uint32_t stimulus = 0;     // 1: a stimulus parameter
  std::uint32_t index = 0;        // model: the parameter's index (for_each_param order); stimulus: which one
  StimulusParam sp = StimulusParam::kStrength;
  std::int32_t self_row = -1;     // its row of self-filter derivatives (-1: none)
  std::uint32_t decay = 0;        // 1: it moves the coupling filter's decay
  double decay_scale = 1.0;       // dS/dtheta = dS * decay_scale (see CouplingTangent)
};

/// The coupling state's tangent dS(s) = a dS(s-1) + c(s), dS(-1) = 0.
/// Truncated window: c(s) = S(s-1) - L a^(L-1) y(s-L), the tangent by the
/// decay itself, scaled by d a / d theta at the end (Slot::decay_scale).
/// Activation trace: c(s) = (d a / d theta) S(s-1) with the derivative
/// folded in (`fold`), so decay_scale = 1. (Both orders of the same product
/// are kept as tune has always rounded them.)
struct CouplingTangent {
  CouplingKind kind = CouplingKind::kNone;
  double a = 0.0, aLm1 = 0.0, fold = 0.0;
  std::uint32_t L = 0;
};

/// What the pass reads, as plain pointers (host or device memory).
struct TangentView {
  const Slot* slots = nullptr;
  std::uint32_t n_slots = 0;
  CouplingTangent coupling;
  const double* h = nullptr;     // the engine's self filter h(k), H lags
  const double* dh = nullptr;    // [rows][H]: d h(k) / d theta of the slots with a self row
  std::uint32_t H = 0, rows = 0;
};

/// Host: the pass for model `m` and the tuned parameters `names` (model
/// parameters by name, stimulus ones as "stimulusK.name"), owning the arrays
/// a TangentView points to.
struct TangentSetup {
  std::vector<Slot> slots;
  CouplingTangent coupling;
  std::vector<double> h, dh;
  std::uint32_t H = 0, rows = 0;
  TangentView view() const { return TangentView{slots.data(), static_cast<std::uint32_t>(slots.size()), coupling,
                                                h.data(), dh.data(), H, rows}; }
};

/// "stimulusK.name" as a stimulus slot (the name already known to be tunable).
Slot stimulus_slot(const std::string& name);
/// The coupling tangent's constants for filters `spec` (normalised as the engine applies them).
CouplingTangent coupling_tangent(const FilterSpec& spec);

template <TunableModel Model>
TangentSetup make_tangent_setup(const Model& m, const std::vector<std::string>& names) {
  TangentSetup t;
  const FilterSpec spec = engine::normalised_filters(m.filters());
  t.coupling = coupling_tangent(spec);
  t.h = spec.self_filter;
  t.H = static_cast<std::uint32_t>(t.h.size());
  const std::vector<ParamValue> params = list_params(m);
  std::uint32_t decays = 0;
  for (const std::string& name : names) {
    if (name.rfind("stimulus", 0) == 0) {
      t.slots.push_back(stimulus_slot(name));
      continue;
    }
    Slot s;
    while (s.index < params.size() && params[s.index].name != name) ++s.index;
    if (s.index == params.size()) throw Error("tune: '" + name + "' is not a parameter of " + Model::kName);
    const FilterDerivative d = m.filter_derivative(s.index);
    if (d.decay != 0.0) {
      s.decay = 1;
      ++decays;
      if (t.coupling.kind == CouplingKind::kTrace) t.coupling.fold = d.decay;
      else s.decay_scale = d.decay;
    }
    if (!d.self_filter.empty()) {
      if (d.self_filter.size() != t.h.size())
        throw Error(std::string("tune: model '") + Model::kName + "': the self filter's derivative by '" + name +
                    "' has " + std::to_string(d.self_filter.size()) + " lags, the self filter " +
                    std::to_string(t.h.size()));
      s.self_row = static_cast<std::int32_t>(t.rows++);
      t.dh.insert(t.dh.end(), d.self_filter.begin(), d.self_filter.end());
    }
    t.slots.push_back(s);
  }
  if (t.coupling.kind == CouplingKind::kTrace && decays > 1)
    throw Error(std::string("tune: model '") + Model::kName +
                "': more than one tuned parameter moves the activation trace's decay; tune one of them at a time");
  if (t.slots.size() > kMaxSlots)
    throw Error("tune: " + std::to_string(t.slots.size()) + " parameters selected; at most " +
                std::to_string(kMaxSlots) + " are tuned at once");
  if (t.rows > kMaxSelfRows)
    throw Error("tune: " + std::to_string(t.rows) + " tuned parameters move the self filter; at most " +
                std::to_string(kMaxSelfRows) + " at once");
  return t;
}

/// Whether each slot's stimulus reaches global neuron `global`.
CASCADE_HD_INLINE void slot_masks(const StimulusView& stim, const Slot* slots, std::uint32_t n_slots,
                                  std::uint64_t global, bool* in_mask) {
  for (std::uint32_t q = 0; q < n_slots; ++q) {
    in_mask[q] = true;
    if (slots[q].stimulus) {
      const std::int64_t mo = stim.mask_offset[slots[q].index];
      in_mask[q] = mo < 0 || stim.masks[mo + static_cast<std::int64_t>(global)];
    }
  }
}

/// c(s) of tap slot `slot` at step s (from the tap: S(s-1) and, for a
/// truncated window, the drive leaving it).
CASCADE_HD_INLINE double tangent_input(const CouplingTangent& ct, const EpochTap& tap, std::uint64_t slot,
                                       std::uint64_t s) {
  const std::uint64_t N = tap.slots;
  const double S_prev = s > 0 ? tap.S[(s - 1) * N + slot] : 0.0;
  if (ct.kind == CouplingKind::kTrace)
    return s >= 1 ? ct.fold * S_prev : 0.0;  // S(0) of an activation is read as given: dS(0) = 0
  if (ct.kind != CouplingKind::kTruncatedExp || ct.L == 0) return 0.0;
  const double old = s >= ct.L ? tap.y[(s - ct.L) * N + slot] : 0.0;  // the drive leaving the window
  return S_prev - static_cast<double>(ct.L) * ct.aLm1 * old;
}

/// phi and d phi / d theta of one neuron-step, from the model's derivatives.
template <class Model>
CASCADE_HD_INLINE void add_terms(const Model& m, const TangentView& tv, double g, double S, double dS, double self,
                                 const double* dself, const double* slot_dtv, const bool* in_mask, double& phi,
                                 double* dphi, double& kink) {
  const RateTerms rt{g, m.rate(g), m.rate_derivative(g)};
  phi += rt.phi;
  if constexpr (requires { m.kink_distance(g); }) {
    const double dist = m.kink_distance(g);
    if (dist < kink) kink = dist;
  }
  const InputTerms in{S, self, 0.0};
  const InputTerms grad = m.input_gradient(in);
  for (std::uint32_t q = 0; q < tv.n_slots; ++q) {
    const Slot& sl = tv.slots[q];
    double d = 0.0;
    if (sl.stimulus) {
      if (in_mask[q]) d = rt.dphi_dg * grad.stimulus * slot_dtv[q];
    } else {
      d = m.rate_partial(sl.index, rt) + rt.dphi_dg * m.input_partial(sl.index, in);
      if (sl.decay) d += rt.dphi_dg * grad.coupling * dS * sl.decay_scale;
      if (sl.self_row >= 0) d += rt.dphi_dg * grad.self * dself[sl.self_row];
    }
    dphi[q] += d;
  }
}

/// Adds the terms of tap slot `slot` at step s (>= the window's start) given
/// its tangent dS(s). `slot_dtv` is scratch of n_slots entries, `in_mask`
/// the slot masks of this neuron (slot_masks).
template <class Model>
CASCADE_HD_INLINE void step_terms(const Model& m, const TangentView& tv, const EpochTap& tap, std::uint64_t slot,
                                  std::uint64_t s, std::uint64_t window_start, double dS, const StimulusView& stim,
                                  double* slot_dtv, const bool* in_mask, double& phi, double* dphi, double& kink) {
  const std::uint64_t N = tap.slots;
  const std::int64_t t = static_cast<std::int64_t>(s - window_start);
  if (stim.count > 0)
    for (std::uint32_t q = 0; q < tv.n_slots; ++q)
      if (tv.slots[q].stimulus)
        slot_dtv[q] = stimulus_time_derivative(stim.params[tv.slots[q].index], stim.events, t, tv.slots[q].sp);
  double self = 0.0, dself[kMaxSelfRows];
  for (std::uint32_t r = 0; r < tv.rows; ++r) dself[r] = 0.0;
  for (std::uint32_t k = 0; k < tv.H; ++k) {
    const std::int64_t at = static_cast<std::int64_t>(s) - 1 - static_cast<std::int64_t>(k);  // x(s-1-k); x(-1): the initial state
    const std::uint8_t x = at >= 0 ? tap.x[static_cast<std::uint64_t>(at) * N + slot] : at == -1 ? tap.x0[slot] : 0;
    if (x == 0) continue;
    const double xd = static_cast<double>(x);
    self += tv.h[k] * xd;
    for (std::uint32_t r = 0; r < tv.rows; ++r) dself[r] += tv.dh[r * tv.H + k] * xd;
  }
  add_terms(m, tv, tap.g[s * N + slot], tap.S[s * N + slot], dS, self, dself, slot_dtv, in_mask, phi, dphi, kink);
}

/// Adds tap slot `slot`'s terms of the window (steps >= window_start of the
/// tap) to phi, dphi[0..n_slots) and kink, walking the epoch forward in time.
template <class Model>
CASCADE_HD_INLINE void tangent_slot(const Model& m, const TangentView& tv, const EpochTap& tap, std::uint64_t slot,
                                    std::uint64_t window_start, const StimulusView& stim, double* slot_dtv,
                                    const bool* in_mask, double& phi, double* dphi, double& kink) {
  double dS = 0.0;
  for (std::uint64_t s = 0; s < tap.steps; ++s) {
    dS = tv.coupling.a * dS + tangent_input(tv.coupling, tap, slot, s);
    if (s >= window_start) step_terms(m, tv, tap, slot, s, window_start, dS, stim, slot_dtv, in_mask, phi, dphi, kink);
  }
}

}  // namespace cascade::tangent
