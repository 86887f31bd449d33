// Stimulus evaluation shared by the CPU engine and the CUDA kernels: plain
// views of a batch's stimuli and the per-step, per-neuron value E_i(t).
// t counts steps from the first recorded step (t = 0); the engines do not
// call this during equilibration (the stimulus is off there).
#pragma once
#include <cstddef>
#include <cstdint>

#include "cascade/config.hpp"
#include "cascade/math.hpp"

namespace cascade {

enum class StimulusKind : std::uint32_t { kRegular = 0, kPoisson = 1, kSin = 2, kLoaded = 3 };

/// Most stimuli one simulation takes (keeps per-step scratch on the stack).
inline constexpr std::uint32_t kMaxStimuli = 64;

/// One stimulus, flattened for the kernels. Which fields matter depends on the kind.
struct StimulusParams {
  StimulusKind kind = StimulusKind::kRegular;
  double amplitude = 0.0;         // regular and poisson: strength; sin: amplitude
  double tau = 0.0;               // regular: event length in steps (may be fractional)
  double period = 1.0;            // sin: period in ms
  double phase = 0.0;             // sin
  double baseline = 0.0;          // sin
  double dt = 1.0;                // sin: ms per step
  double start_real = 0.0;        // sin: first step (may be fractional)
  std::int64_t period_steps = 1;  // regular
  std::int64_t start = 0;         // regular: first step
  std::int64_t stop = 0;          // regular: end (exclusive); sin: duration (absolute end, exclusive)
  std::int64_t event_tau = 1;     // poisson: event length in steps
  std::int64_t events_begin = 0;  // poisson: its event times in StimulusView::events
  std::int64_t events_end = 0;
};

/// A batch's stimuli as plain pointers (host or device memory).
struct StimulusView {
  std::uint32_t count = 0;
  std::uint32_t n_nets = 0;               // networks in the batch
  const StimulusParams* params = nullptr;  // [count]
  const std::int64_t* events = nullptr;    // poisson event times, ascending per stimulus
  const std::uint8_t* masks = nullptr;     // 0/1 per global neuron of the batch
  const std::int64_t* mask_offset = nullptr;  // [count]: first entry in masks, or -1 = every neuron
  const double* loaded = nullptr;          // loaded values, time-major per network: [steps][n]
  const std::int64_t* loaded_offset = nullptr;  // [count * n_nets]
  const std::int64_t* loaded_steps = nullptr;   // [count * n_nets]
};

/// The value of a time-only stimulus (every kind but loaded) at step t >= 0.
CASCADE_HD_INLINE double stimulus_time_value(const StimulusParams& p, const std::int64_t* events, std::int64_t t) {
  switch (p.kind) {
    case StimulusKind::kRegular:
      // The phase is set by t, not by start (the reference's rule).
      return (t >= p.start && t < p.stop && static_cast<double>(t % p.period_steps) < p.tau) ? p.amplitude : 0.0;
    case StimulusKind::kPoisson: {
      // The latest event at or before t decides: events are sorted.
      std::int64_t lo = p.events_begin, hi = p.events_end;
      while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (events[mid] <= t) lo = mid + 1;
        else hi = mid;
      }
      if (lo == p.events_begin) return 0.0;
      return (t - events[lo - 1] < p.event_tau) ? p.amplitude : 0.0;
    }
    case StimulusKind::kSin: {
      const double td = static_cast<double>(t);
      if (!(td >= p.start_real) || t >= p.stop) return 0.0;
      return p.amplitude * math::sin(math::kTwoPi / p.period * (td - p.start_real) * p.dt + p.phase) + p.baseline;
    }
    default:
      return 0.0;
  }
}

/// A stimulus's tunable parameters (list_stimulus_params names them
/// "stimulusK.strength", ...): regular/poisson strength; sin amplitude,
/// period, phase, baseline.
enum class StimulusParam : std::uint32_t { kStrength, kAmplitude, kPeriod, kPhase, kBaseline };

/// d(stimulus_time_value)/d(parameter) at step t: the time-only stimuli's
/// derivatives, beside their values (tune's gradient).
CASCADE_HD_INLINE double stimulus_time_derivative(const StimulusParams& p, const std::int64_t* events, std::int64_t t,
                                                  StimulusParam which) {
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
    case StimulusParam::kAmplitude: return math::sin(arg);
    case StimulusParam::kPeriod:
      return p.amplitude * math::cos(arg) * (-math::kTwoPi / (p.period * p.period) * (td - p.start_real) * p.dt);
    case StimulusParam::kPhase: return p.amplitude * math::cos(arg);
    case StimulusParam::kBaseline: return 1.0;
    default: return 0.0;
  }
}

/// Fills time_values[k] for every stimulus (loaded ones get 0): once per step,
/// shared by all neurons.
CASCADE_HD_INLINE void stimulus_time_values(const StimulusView& v, std::int64_t t, double* time_values) {
  for (std::uint32_t k = 0; k < v.count; ++k) time_values[k] = stimulus_time_value(v.params[k], v.events, t);
}

/// E_i(t) for neuron `local` of batch network `net` (global index `global`):
/// the masked stimuli added in stimulus order.
CASCADE_HD_INLINE double stimulus_input(const StimulusView& v, const double* time_values, std::uint32_t net,
                                        std::size_t n_local, std::size_t local, std::size_t global, std::int64_t t) {
  double s = 0.0;
  for (std::uint32_t k = 0; k < v.count; ++k) {
    const std::int64_t mo = v.mask_offset[k];
    if (mo >= 0 && !v.masks[mo + static_cast<std::int64_t>(global)]) continue;
    if (v.params[k].kind == StimulusKind::kLoaded) {
      const std::size_t idx = static_cast<std::size_t>(k) * v.n_nets + net;
      if (t < v.loaded_steps[idx])
        s += v.loaded[v.loaded_offset[idx] + t * static_cast<std::int64_t>(n_local) + static_cast<std::int64_t>(local)];
    } else {
      s += time_values[k];
    }
  }
  return s;
}

}  // namespace cascade
