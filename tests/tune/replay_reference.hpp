// An independent evaluation of tune's objective over recorded spikes, for
// the tests: the spike history convolved directly with the model's filter
// taps (FilterSpec::coupling_taps, the reference's per-lag values) and its
// self filter, activations integrated per presynaptic neuron, weights as
// given in double — none of the engine's recursions, ring buffers or
// fixed-point sums. It uses the model's own input() and rate().
#pragma once
#include <cstdint>
#include <vector>

#include "cascade/cascade.hpp"

namespace cascade::test {

namespace detail {

template <class Model>
double reference_phi_sum(const Model& m, const Network& net, std::size_t global0, std::size_t replica,
                         const SpikeRecord& rec, const StimulusView& stim, std::uint32_t net_index) {
  const FilterSpec f = m.filters();
  const std::size_t n = net.n_neurons(), steps = rec.steps, K = rec.window_start;
  const auto& rp = net.row_ptr();
  const auto& post = net.post();
  const auto& w = net.weight();
  auto x = [&](std::size_t j, std::int64_t t) -> double {  // x_j(t); t = -1 is the initial state
    if (t < -1) return 0.0;
    if (t < 0) return rec.initial_spikes.empty() ? 0.0 : rec.initial_spikes[replica * rec.neurons + global0 + j];
    return rec.at(replica, global0 + j, static_cast<std::size_t>(t));
  };
  // y[t + 1][i] = sum_j W[j, i] x_j(t), t = -1 .. steps - 1.
  std::vector<std::vector<double>> y(steps + 1, std::vector<double>(n, 0.0));
  for (std::size_t t = 0; t <= steps; ++t)
    for (std::size_t j = 0; j < n; ++j) {
      const double xj = x(j, static_cast<std::int64_t>(t) - 1);
      if (xj != 0.0)
        for (std::int64_t e = rp[j]; e < rp[j + 1]; ++e) y[t][post[e]] += w[e] * xj;
    }
  // Activation models: s_j(0) given, s_j(t) = a s_j(t-1) + dt x_j(t-1).
  std::vector<double> act;
  if (f.initial == InitialState::kRandomActivation)
    for (std::size_t j = 0; j < n; ++j) act.push_back(rec.initial_activation[replica * rec.neurons + global0 + j]);
  double phi = 0.0, tv[kMaxStimuli];
  for (std::size_t s = 0; s < steps; ++s) {
    if (f.initial == InitialState::kRandomActivation && s > 0)
      for (std::size_t j = 0; j < n; ++j) act[j] = f.decay * act[j] + f.gain * x(j, static_cast<std::int64_t>(s) - 1);
    if (s < K) continue;
    const std::int64_t t = static_cast<std::int64_t>(s - K);
    if (stim.count) stimulus_time_values(stim, t, tv);
    std::vector<double> S(n, 0.0);
    if (f.coupling == CouplingKind::kTrace) {
      for (std::size_t j = 0; j < n; ++j)
        for (std::int64_t e = rp[j]; e < rp[j + 1]; ++e) S[post[e]] += w[e] * act[j];
    } else if (f.coupling == CouplingKind::kTruncatedExp) {
      for (std::size_t k = 0; k < static_cast<std::size_t>(f.window) && k <= s; ++k)
        for (std::size_t i = 0; i < n; ++i) S[i] += f.coupling_taps[k] * y[s - k][i];  // y(s - 1 - k)
    }
    for (std::size_t i = 0; i < n; ++i) {
      double self = 0.0;
      for (std::size_t k = 0; k < f.self_filter.size(); ++k)
        self += f.self_filter[k] * x(i, static_cast<std::int64_t>(s) - 1 - static_cast<std::int64_t>(k));
      const double E = stim.count ? stimulus_input(stim, tv, net_index, n, i, global0 + i, t) : 0.0;
      phi += m.rate(m.input(InputTerms{S[i], self, E}, NeuronStream{0, 0, 0, 0, 0}));
    }
  }
  return phi;
}

}  // namespace detail

/// R = mean phi(g) * 1000 / dt over the record's window.
inline double reference_rate_hz(const AnyModel& model, const std::vector<Network>& nets, const SpikeRecord& rec,
                                const std::vector<Stimulus>& stimuli, std::uint64_t seed = 0) {
  std::vector<std::shared_ptr<const Network>> shared;
  for (const auto& n : nets) shared.push_back(std::make_shared<const Network>(n));
  const StimulusTable table(stimuli, shared, seed);
  const StimulusView stim = table.view();
  double phi = 0.0;
  for (std::size_t r = 0; r < rec.replicas; ++r) {
    std::size_t g0 = 0;
    for (std::uint32_t b = 0; b < nets.size(); ++b) {
      phi += std::visit(
          [&](const auto& m) { return detail::reference_phi_sum(m, nets[b], g0, r, rec, stim, b); }, model);
      g0 += nets[b].n_neurons();
    }
  }
  const double dt = std::visit([](const auto& m) { return engine::model_dt(m); }, model);
  return phi / static_cast<double>(rec.replicas * rec.neurons * (rec.steps - rec.window_start)) * 1000.0 / dt;
}

}  // namespace cascade::test
