// What every neuron's fit reads (extend/fit_model.hpp): spike lists, the
// coupling filter and its adjoint, the self filter, the stimulus, the checks.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cascade/extend/fit_model.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus/stimulus_eval.hpp"
#include "core/limits.hpp"

namespace cascade::fit_detail {

Prepared prepare(const SpikeData& s, const FilterSpec& f, std::int64_t burn_in, const std::vector<Stimulus>& stimuli,
                 std::uint64_t stimulus_seed) {
  Prepared p;
  p.spikes = &s;
  p.filters = f;
  p.burn_in = burn_in;
  p.decay_window = f.coupling == CouplingKind::kTruncatedExp ? std::pow(f.decay, f.window) : 0.0;
  std::uint64_t spikes = 0;
  for (std::uint8_t c : s.counts) spikes += c != 0;
  require_memory(spikes * 5 + (s.neurons * s.trials + 1) * 8, "fit: the spike lists of " + s.source);
  p.offset.assign(s.neurons * s.trials + 1, 0);
  p.step.reserve(spikes);
  p.count.reserve(spikes);
  for (std::size_t j = 0; j < s.neurons; ++j)
    for (std::size_t r = 0; r < s.trials; ++r) {
      const std::uint8_t* row = &s.counts[(r * s.neurons + j) * s.steps];
      for (std::size_t t = 0; t < s.steps; ++t)
        if (row[t]) {
          p.step.push_back(static_cast<std::uint32_t>(t));
          p.count.push_back(row[t]);
        }
      p.offset[j * s.trials + r + 1] = static_cast<std::int64_t>(p.step.size());
    }
  if (!stimuli.empty()) {
    std::vector<std::shared_ptr<const Network>> nets{
        std::make_shared<const Network>(Network::from_edges(s.neurons, {}, {}, {}, 0, "the fitted network"))};
    // Step t of the recording is stimulus time stimulus_start + t.
    auto table = std::make_shared<const StimulusTable>(
        stimuli, nets, stimulus_seed, s.stimulus_start + static_cast<std::int64_t>(s.steps), current_stop());
    const StimulusView v = table->view();
    p.time_values.assign(s.steps * v.count, 0.0);
    for (std::size_t t = 0; t < s.steps; ++t)
      stimulus_time_values(v, s.stimulus_start + static_cast<std::int64_t>(t), &p.time_values[t * v.count]);
    p.table = std::move(table);
  }
  return p;
}

double Prepared::stimulus(std::size_t i, std::int64_t t) const {
  const StimulusView v = table->view();
  return stimulus_input(v, &time_values[static_cast<std::size_t>(t) * v.count], 0, spikes->neurons, i, i,
                        spikes->stimulus_start + t);
}

void filter_forward(const FilterSpec& f, double dw, const std::vector<double>& y, std::vector<double>& S) {
  const std::size_t T = y.size();
  S.assign(T, 0.0);
  const double d = f.decay;
  if (f.coupling == CouplingKind::kTruncatedExp) {
    // S(t) = sum_{k < W} d^k y(t-1-k) = d S(t-1) + y(t-1) - d^W y(t-1-W).
    const std::size_t W = static_cast<std::size_t>(f.window);
    for (std::size_t t = 1; t < T; ++t) {
      double v = d * S[t - 1] + y[t - 1];
      if (t >= W + 1) v -= dw * y[t - 1 - W];
      S[t] = v;
    }
  } else if (f.coupling == CouplingKind::kTrace) {
    // S(t) = d S(t-1) + gain y(t-1); the unrecorded S(0) is taken as 0 (the burn-in covers it).
    for (std::size_t t = 1; t < T; ++t) S[t] = d * S[t - 1] + f.gain * y[t - 1];
  }
}

void filter_adjoint(const FilterSpec& f, double dw, const std::vector<double>& e, std::vector<double>& A) {
  const std::size_t T = e.size();
  A.assign(T, 0.0);
  if (T < 2) return;
  const double d = f.decay;
  if (f.coupling == CouplingKind::kTruncatedExp) {
    // A(s) = sum_{k < W} d^k e(s+1+k) = d A(s+1) + e(s+1) - d^W e(s+1+W).
    const std::size_t W = static_cast<std::size_t>(f.window);
    for (std::size_t s = T - 1; s-- > 0;) {
      double v = d * A[s + 1] + e[s + 1];
      if (s + 1 + W < T) v -= dw * e[s + 1 + W];
      A[s] = v;
    }
  } else if (f.coupling == CouplingKind::kTrace) {
    for (std::size_t s = T - 1; s-- > 0;) A[s] = d * A[s + 1] + f.gain * e[s + 1];
  }
}

void self_terms(const std::vector<double>& h, const std::uint8_t* n, std::size_t T, std::vector<double>& out) {
  out.assign(T, 0.0);
  if (h.empty()) return;
  for (std::size_t t = 0; t < T; ++t) {
    double v = 0.0;
    for (std::size_t k = 0; k < h.size() && k + 1 <= t; ++k)
      if (n[t - 1 - k]) v += h[k] * n[t - 1 - k];
    out[t] = v;
  }
}

std::int64_t settle_steps(const FilterSpec& f) {
  std::int64_t steps = static_cast<std::int64_t>(f.self_filter.size());
  if (f.coupling == CouplingKind::kTruncatedExp) {
    steps = std::max<std::int64_t>(steps, f.window);
  } else if (f.coupling == CouplingKind::kTrace) {
    // The unrecorded initial activation's weight d^t below 1e-6.
    const double d = f.decay;
    if (!(d < 1.0))
      throw Error("fit: the activation trace's decay factor is " + format_value(d) +
                  ": the unrecorded initial activation never fades, so there is no default burn-in; pass --burn-in");
    const double k = d <= 0.0 ? 1.0 : std::ceil(std::log(1e-6) / std::log(d));
    if (!(k < 1e12)) throw Error("fit: the activation trace fades too slowly for a default burn-in; pass --burn-in");
    steps = std::max(steps, static_cast<std::int64_t>(k));
  }
  return std::max<std::int64_t>(steps, 1);
}

void check_memory(const SpikeData& s, const Candidates& c, const FitOptions& o, int threads) {
  std::uint64_t spikes = 0;
  for (std::uint8_t v : s.counts) spikes += v != 0;
  std::size_t widest = 0;
  for (const auto& p : c.pre) widest = std::max(widest, p.size());
  // Per thread: the self terms of every trial, the stimulus and four series
  // of one trial; per neuron in flight: 2 m + 6 vectors of its candidates.
  const std::uint64_t per_thread = (static_cast<std::uint64_t>(s.trials) + 5) * s.steps * 8 +
                                   (2 * static_cast<std::uint64_t>(o.memory) + 6) * widest * 8;
  const std::uint64_t dense = checked_product(s.neurons, s.neurons, std::uint64_t{1} << 40, "fit: the fitted W0") * 8;
  const std::uint64_t bytes = spikes * 5 + per_thread * static_cast<std::uint64_t>(std::max(threads, 1)) +
                              static_cast<std::uint64_t>(c.edges()) * 8 * 2 + dense;
  require_memory(bytes, "fit: " + std::to_string(s.neurons) + " neurons x " + std::to_string(s.trials) +
                            " trial(s) x " + std::to_string(s.steps) + " steps on " + std::to_string(threads) +
                            " thread(s) (fewer --threads, or a shorter recording)");
}

void check_inputs(const SpikeData& s, const Candidates& c, const FitOptions& o, bool bernoulli, bool self_edges,
                  const char* model) {
  const std::string m = model;
  if (s.trials == 0 || s.neurons == 0 || s.steps == 0)
    throw Error("fit: the spikes (" + s.source + ") are empty: " + std::to_string(s.trials) + " trial(s), " +
                std::to_string(s.neurons) + " neuron(s), " + std::to_string(s.steps) + " step(s)");
  if (s.counts.size() != s.trials * s.neurons * s.steps)
    throw Error("fit: the spikes (" + s.source + ") hold " + std::to_string(s.counts.size()) + " counts, not " +
                std::to_string(s.trials) + " x " + std::to_string(s.neurons) + " x " + std::to_string(s.steps));
  if (s.steps > 4294967295u) throw Error("fit: " + s.source + ": more than 2^32 - 1 steps per trial");
  if (s.stimulus_start < 0)
    throw Error("fit: " + s.source + ": stimulus start " + std::to_string(s.stimulus_start) + "; expected >= 0");
  if (c.neurons != s.neurons || c.pre.size() != s.neurons)
    throw Error("fit: the candidate edges are for " + std::to_string(c.neurons) + " neurons but the spikes (" +
                s.source + ") have " + std::to_string(s.neurons) + "; expected the same network");
  for (std::size_t i = 0; i < c.pre.size(); ++i)
    for (std::size_t k = 0; k < c.pre[i].size(); ++k) {
      const std::uint32_t j = c.pre[i][k];
      if (j >= s.neurons)
        throw Error("fit: candidate edge " + std::to_string(j) + " -> " + std::to_string(i) +
                    " is out of range; expected presynaptic indices below " + std::to_string(s.neurons));
      if (k && c.pre[i][k - 1] >= j)
        throw Error("fit: the candidates of neuron " + std::to_string(i) + " are not ascending without repeats");
      if (j == i && !self_edges)
        throw Error("fit: candidate edge " + std::to_string(i) + " -> " + std::to_string(i) + " is a self edge; " + m +
                    " keeps W0's diagonal for its own refractory filter (fixed), so it cannot be fitted");
    }
  auto non_negative = [](double v, const char* name) {
    if (!(std::isfinite(v) && v >= 0.0))
      throw Error(std::string("fit: ") + name + " = " + format_value(v) + " is invalid; expected a finite value >= 0");
  };
  non_negative(o.l1, "l1");
  non_negative(o.l2, "l2");
  non_negative(o.tolerance, "tolerance");
  non_negative(o.gradient_tolerance, "gradient tolerance");
  if (o.max_iterations < 1)
    throw Error("fit: max iterations = " + std::to_string(o.max_iterations) + " is invalid; expected >= 1");
  if (o.memory < 1 || o.memory > 1000)
    throw Error("fit: L-BFGS memory = " + std::to_string(o.memory) + " is invalid; expected 1 to 1000");
  if (o.burn_in < -1) throw Error("fit: burn-in = " + std::to_string(o.burn_in) + " is invalid; expected >= 0");
  if (bernoulli)
    for (std::size_t q = 0; q < s.counts.size(); ++q)
      if (s.counts[q] > 1) {
        const std::size_t t = q % s.steps, i = (q / s.steps) % s.neurons, r = q / (s.steps * s.neurons);
        throw Error("fit: " + s.source + " holds a count of " + std::to_string(s.counts[q]) + " (trial " +
                    std::to_string(r) + ", neuron " + std::to_string(i) + ", step " + std::to_string(t) + "), but " +
                    m + " emits Bernoulli counts (0 or 1): were these spikes made by another model?");
      }
}

}  // namespace cascade::fit_detail
