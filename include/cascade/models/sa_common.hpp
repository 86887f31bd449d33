// Shared pieces of the synaptic-activation (SA) models: the activation
// s <- s (1 - dt/tau) + x dt enters g only through sum_j W0[j,i] s_j, which
// obeys the same linear recursion driven by y_i = sum_j W0[j,i] x_j.
#pragma once
#include "cascade/models/model_api.hpp"

namespace cascade {

inline FilterSpec activation_trace_filters(double dt, double tau) {
  FilterSpec f;
  f.history_length = 1;
  f.initial = InitialState::kRandomActivation;
  f.coupling = CouplingKind::kTrace;
  f.decay = 1.0 - dt / tau;
  f.gain = dt;
  f.window = 0;
  f.coupling_taps = {1.0};
  return f;
}

/// d decay / d tau of activation_trace_filters: decay = 1 - dt / tau.
inline double activation_trace_decay_derivative(double dt, double tau) { return dt / (tau * tau); }

inline void validate_activation(const char* model, double dt, double tau) {
  validate::positive(model, "tau", tau);
  validate::positive(model, "dt", dt);
  if (dt > tau) validate::fail(model, "dt", dt, "dt <= tau (the activation decay factor 1 - dt/tau must be >= 0)");
}

}  // namespace cascade
