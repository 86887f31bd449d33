// The connectivity fit for any model type (cascade/fit.hpp): the built-in
// models' fit_connectivity and a user model's fit_connectivity_of share this
// per-neuron likelihood and optimiser loop. A model is fittable when it
// declares its EmissionLaw (kEmission) and provides rate_derivative and
// input_gradient (models/model_api.hpp); its own input() and rate() form g
// and phi, so the fit's likelihood is the simulation's model, not a copy.
#pragma once
#include <algorithm>
#include <atomic>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <omp.h>

#include "cascade/error.hpp"
#include "cascade/fit.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/stimulus.hpp"
#include "cascade/stop.hpp"

namespace cascade {

template <class M>
concept FittableModel = requires(const M& m, double g, const InputTerms& in) {
  { M::kEmission } -> std::convertible_to<EmissionLaw>;
  { m.rate_derivative(g) } -> std::convertible_to<double>;
  { m.input_gradient(in) } -> std::convertible_to<InputTerms>;
};

/// Why model M cannot be fitted.
template <class M>
std::string no_likelihood_reason() {
  if constexpr (requires { M::kNoLikelihood; }) return M::kNoLikelihood;
  else
    return "it does not declare the law its spikes follow (static constexpr EmissionLaw kEmission) with "
           "rate_derivative and input_gradient (docs/custom-models.md)";
}

namespace fit_detail {

/// What every neuron's fit reads: the counts as spike lists per (neuron,
/// trial), the coupling filter, and the stimulus (host/fit/prepare.cpp).
struct Prepared {
  const SpikeData* spikes = nullptr;
  FilterSpec filters;
  std::int64_t burn_in = 0;
  std::vector<std::int64_t> offset;  // [(j * trials + r) + 1] into step/count
  std::vector<std::uint32_t> step;
  std::vector<std::uint8_t> count;
  std::shared_ptr<const StimulusTable> table;  // null: no stimulus
  std::vector<double> time_values;             // [steps][stimuli]
  double decay_window = 0.0;                   // decay^window (truncated exponential)

  std::int64_t observations() const {
    return static_cast<std::int64_t>(spikes->trials) * (static_cast<std::int64_t>(spikes->steps) - burn_in);
  }
  double stimulus(std::size_t i, std::int64_t t) const;
};
Prepared prepare(const SpikeData& spikes, const FilterSpec& filters, std::int64_t burn_in,
                 const std::vector<Stimulus>& stimuli, std::uint64_t stimulus_seed);

/// S(t) from the weighted presynaptic counts y(s): the coupling filter.
void filter_forward(const FilterSpec& f, double decay_window, const std::vector<double>& y, std::vector<double>& S);
/// Its adjoint: A(s) = sum_t e(t) dS(t)/dy(s).
void filter_adjoint(const FilterSpec& f, double decay_window, const std::vector<double>& e, std::vector<double>& A);
/// self(t) = sum_k h(k) n(t-1-k) over one trial of one neuron.
void self_terms(const std::vector<double>& h, const std::uint8_t* counts, std::size_t steps, std::vector<double>& out);

/// The smooth part of one neuron's objective at w (value; gradient into g).
using Objective = std::function<double(const std::vector<double>& w, std::vector<double>& g)>;
struct Minimum {
  std::vector<double> w;
  std::vector<double> objective, log_likelihood;  // per iteration (index 0: the start)
  std::int64_t iterations = 0;
  std::string reason;
  bool converged = false;
};
/// OWL-QN (Andrew & Gao 2007) from w = 0: L-BFGS on the smooth part, with
/// the L1 term handled orthant-wise; `loglik` maps the smooth value back to
/// the log-likelihood for the log.
Minimum minimize(const Objective& f, std::size_t dim, const FitOptions& o, double l1,
                 const std::function<double(const std::vector<double>&, double)>& loglik);

/// Fills the result's totals, history and dense weights from per-neuron minima.
FitResult assemble(std::vector<Minimum>& minima, const Candidates& c, const Prepared& p, double null_loglik);
void check_inputs(const SpikeData& s, const Candidates& c, const FitOptions& o, bool bernoulli, bool self_edges,
                  const char* model);
std::int64_t settle_steps(const FilterSpec& f);
/// Refuses a fit whose buffers (spike lists, per-thread time series, the
/// fitted weights and L-BFGS pairs) exceed the memory available now.
void check_memory(const SpikeData& s, const Candidates& c, const FitOptions& o, int threads);

inline double log_factorial(unsigned n) { return std::lgamma(static_cast<double>(n) + 1.0); }

}  // namespace fit_detail

/// One postsynaptic neuron's log-likelihood as a function of the weights
/// onto it from its candidates (and its gradient): the fit's objective, and
/// what the finite-difference tests check.
template <FittableModel M>
class NeuronLikelihood {
 public:
  NeuronLikelihood(const M& model, const fit_detail::Prepared& p, std::size_t neuron, std::vector<std::uint32_t> pre)
      : m_(model), p_(p), i_(neuron), pre_(std::move(pre)) {
    const SpikeData& s = *p.spikes;
    self_.resize(s.trials);
    for (std::size_t r = 0; r < s.trials; ++r)
      fit_detail::self_terms(p.filters.self_filter, &s.counts[(r * s.neurons + i_) * s.steps], s.steps, self_[r]);
    stim_.assign(s.steps, 0.0);
    if (p.table)
      for (std::size_t t = 0; t < s.steps; ++t) stim_[t] = p.stimulus(i_, static_cast<std::int64_t>(t));
  }

  const std::vector<std::uint32_t>& pre() const { return pre_; }

  /// log L(w) (nats); `grad` (when not null) receives d log L / d w.
  double operator()(const std::vector<double>& w, std::vector<double>* grad) const {
    const SpikeData& s = *p_.spikes;
    const std::size_t T = s.steps;
    y_.assign(T, 0.0);
    S_.resize(T);
    e_.assign(T, 0.0);
    if (grad) grad->assign(pre_.size(), 0.0);
    double ll = 0.0;
    for (std::size_t r = 0; r < s.trials; ++r) {
      std::fill(y_.begin(), y_.end(), 0.0);
      for (std::size_t k = 0; k < pre_.size(); ++k) {
        if (w[k] == 0.0) continue;
        const std::size_t row = pre_[k] * s.trials + r;
        for (std::int64_t q = p_.offset[row]; q < p_.offset[row + 1]; ++q) y_[p_.step[q]] += w[k] * p_.count[q];
      }
      fit_detail::filter_forward(p_.filters, p_.decay_window, y_, S_);
      const std::uint8_t* n = &s.counts[(r * s.neurons + i_) * T];
      for (std::size_t t = static_cast<std::size_t>(p_.burn_in); t < T; ++t) {
        const InputTerms in{S_[t], self_[r][t], stim_[t]};
        const double g = m_.input(in, NeuronStream{});
        double dl_dphi = 0.0;
        ll += point(n[t], m_.rate(g), &dl_dphi);
        e_[t] = grad ? dl_dphi * m_.rate_derivative(g) * m_.input_gradient(in).coupling : 0.0;
      }
      if (!grad) continue;
      fit_detail::filter_adjoint(p_.filters, p_.decay_window, e_, A_);
      for (std::size_t k = 0; k < pre_.size(); ++k) {
        const std::size_t row = pre_[k] * s.trials + r;
        double acc = 0.0;
        for (std::int64_t q = p_.offset[row]; q < p_.offset[row + 1]; ++q) acc += A_[p_.step[q]] * p_.count[q];
        (*grad)[k] += acc;
      }
    }
    return ll;
  }

  /// g(t) of one trial at w, every step (those before the burn-in depend on
  /// the unrecorded state, taken as silent).
  std::vector<double> drive(const std::vector<double>& w, std::size_t trial) const {
    const SpikeData& s = *p_.spikes;
    std::vector<double> y(s.steps, 0.0), S, g(s.steps);
    for (std::size_t k = 0; k < pre_.size(); ++k) {
      const std::size_t row = pre_[k] * s.trials + trial;
      for (std::int64_t q = p_.offset[row]; q < p_.offset[row + 1]; ++q) y[p_.step[q]] += w[k] * p_.count[q];
    }
    fit_detail::filter_forward(p_.filters, p_.decay_window, y, S);
    for (std::size_t t = 0; t < s.steps; ++t)
      g[t] = m_.input(InputTerms{S[t], self_[trial][t], stim_[t]}, NeuronStream{});
    return g;
  }

  /// Observed spikes at which the rate is 0 (a log-likelihood of -inf) at w.
  std::size_t impossible_spikes(const std::vector<double>& w) const {
    const SpikeData& s = *p_.spikes;
    std::size_t bad = 0;
    for (std::size_t r = 0; r < s.trials; ++r) {
      const std::vector<double> g = drive(w, r);
      for (std::size_t t = static_cast<std::size_t>(p_.burn_in); t < s.steps; ++t)
        if (s.at(r, i_, t) && !(m_.rate(g[t]) > 0.0)) ++bad;
    }
    return bad;
  }

 private:
  /// log P(n | phi) and d/dphi. A rate at or below 0 (or a Bernoulli
  /// probability at 1) is floored just inside the law's range, so the
  /// value stays finite and steep: the optimiser's line search backs away.
  static double point(unsigned n, double phi, double* dphi) {
    constexpr double kTiny = 1e-300;
    if constexpr (M::kEmission == EmissionLaw::kBernoulli) {
      const double p = std::min(std::max(phi, kTiny), 1.0 - 1e-16);
      *dphi = n ? (phi > kTiny ? 1.0 / p : 0.0) : (phi < 1.0 - 1e-16 ? -1.0 / (1.0 - p) : 0.0);
      return n ? std::log(p) : std::log1p(-p);
    } else {
      const double mu = std::max(phi, kTiny);
      *dphi = (phi > kTiny ? n / mu : 0.0) - (phi > 0.0 ? 1.0 : 0.0);
      return (n ? n * std::log(mu) - fit_detail::log_factorial(n) : 0.0) - std::max(phi, 0.0);
    }
  }

  const M& m_;
  const fit_detail::Prepared& p_;
  std::size_t i_;
  std::vector<std::uint32_t> pre_;
  std::vector<std::vector<double>> self_;  // [trial][t]
  std::vector<double> stim_;
  mutable std::vector<double> y_, S_, e_, A_;
};

/// validate_fit for a model type; returns the burn-in in force.
template <FittableModel M>
std::int64_t validate_fit_of(const M& model, const SpikeData& spikes, const Candidates& candidates,
                             const FitOptions& o) {
  model.validate();
  const FilterSpec f = model.filters();
  if (f.coupling == CouplingKind::kNone || (f.coupling == CouplingKind::kTruncatedExp && f.window < 1))
    throw Error(std::string("fit: ") + M::kName +
                " with these parameters has no coupling filter (its drive does not depend on W0): nothing to fit");
  constexpr bool bernoulli = M::kEmission == EmissionLaw::kBernoulli;
  fit_detail::check_inputs(spikes, candidates, o, bernoulli, M::kAllowsSelfCoupling, M::kName);
  const std::int64_t burn = o.burn_in >= 0 ? o.burn_in : fit_detail::settle_steps(f);
  if (burn >= static_cast<std::int64_t>(spikes.steps))
    throw Error("fit: the burn-in of " + std::to_string(burn) + " steps leaves none of the " +
                std::to_string(spikes.steps) + " recorded steps to fit (" + spikes.source +
                "); record longer or pass a shorter --burn-in");
  return burn;
}

namespace fit_detail {

/// Every neuron's observed spikes where the rate at W0 = 0 is 0, checked
/// before any fit (the lowest such neuron is named: the same for any
/// thread count); returns each neuron's log-likelihood at W0 = 0.
template <FittableModel M>
std::vector<double> check_starting_point(const M& model, const Prepared& p, const Candidates& c, int threads) {
  const std::size_t N = c.neurons;
  std::vector<double> null_ll(N, 0.0);
  std::vector<std::size_t> bad(N, 0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t ii = 0; ii < static_cast<std::int64_t>(N); ++ii) {
    const std::size_t i = static_cast<std::size_t>(ii);
    const NeuronLikelihood<M> L(model, p, i, c.pre[i]);
    const std::vector<double> zero(L.pre().size(), 0.0);
    null_ll[i] = L(zero, nullptr);
    bad[i] = L.impossible_spikes(zero);
  }
  for (std::size_t i = 0; i < N; ++i)
    if (bad[i])
      throw Error("fit: neuron " + std::to_string(i) + " spikes " + std::to_string(bad[i]) +
                  " time(s) where the model's rate is 0 with W0 = 0 (" + M::kName +
                  ": phi(g) = 0 there, a log-likelihood of -inf); the starting point must give every observed "
                  "spike a rate above 0 (rectified models: b above theta)");
  return null_ll;
}

}  // namespace fit_detail

/// fit_connectivity for a model type (FittableModel); the built-in models'
/// fit_connectivity calls it.
template <class M>
FitResult fit_connectivity_of(const M& model, const SpikeData& spikes, const Candidates& candidates,
                              const std::vector<Stimulus>& stimuli, const FitOptions& o,
                              const FitProgress& progress = {}) {
  if constexpr (!FittableModel<M>) {
    throw Error(std::string("fit: ") + M::kName + " cannot be fitted: " + no_likelihood_reason<M>());
  } else {
    const std::int64_t burn = validate_fit_of(model, spikes, candidates, o);
    const FilterSpec f = model.filters();
    const int threads = o.threads > 0 ? o.threads : omp_get_max_threads();
    fit_detail::check_memory(spikes, candidates, o, threads);
    const fit_detail::Prepared p = fit_detail::prepare(spikes, f, burn, stimuli, o.stimulus_seed);
    const std::size_t N = spikes.neurons;
    const double obs = static_cast<double>(p.observations());
    const std::vector<double> null_ll = fit_detail::check_starting_point(model, p, candidates, threads);
    std::vector<fit_detail::Minimum> minima(N);
    std::vector<std::string> failure(N);
    std::atomic<std::size_t> done{0};
    std::atomic<bool> failed{false}, stopped{false};
    const std::atomic<bool>* stop = current_stop();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t ii = 0; ii < static_cast<std::int64_t>(N); ++ii) {
      const std::size_t i = static_cast<std::size_t>(ii);
      if (failed.load() || stopped.load() || (stop && stop->load())) continue;
      // Nothing may leave the parallel region: every exception is kept here.
      try {
        const NeuronLikelihood<M> L(model, p, i, candidates.pre[i]);
        const double l2 = o.l2;
        auto objective = [&](const std::vector<double>& w, std::vector<double>& g) {
          // A stop request ends the fit at the next evaluation, not after every neuron's.
          if (stop && stop->load(std::memory_order_relaxed)) throw Stopped("fit: stopped before every neuron was fitted");
          const double ll = L(w, &g);
          double pen = 0.0;
          for (std::size_t k = 0; k < w.size(); ++k) {
            g[k] = -g[k] / obs + l2 * w[k];
            pen += 0.5 * l2 * w[k] * w[k];
          }
          return -ll / obs + pen;
        };
        auto loglik = [&](const std::vector<double>& w, double smooth) {
          double pen = 0.0;
          for (double v : w) pen += 0.5 * l2 * v * v;
          return -(smooth - pen) * obs;
        };
        minima[i] = fit_detail::minimize(objective, L.pre().size(), o, o.l1, loglik);
        const std::size_t d = done.fetch_add(1) + 1;
        if (progress) {
          std::string raised;  // an exception may not leave the critical section
#pragma omp critical(cascade_fit_progress)
          {
            try {
              progress(d, N);
            } catch (const std::exception& e) {
              raised = e.what();
            } catch (...) {
              raised = "fit: the progress callback raised an unknown exception";
            }
          }
          if (!raised.empty()) throw Error(raised);
        }
      } catch (const Stopped&) {
        stopped.store(true);  // reported once, after the loop
      } catch (const std::exception& e) {
        failure[i] = e.what();
        failed.store(true);
      } catch (...) {
        failure[i] = "fit: neuron " + std::to_string(i) + ": an unknown exception";
        failed.store(true);
      }
    }
    if (stopped.load() || (stop && stop->load())) throw Stopped("fit: stopped before every neuron was fitted");
    for (std::size_t i = 0; i < N; ++i)
      if (!failure[i].empty()) throw Error(failure[i]);
    double null_total = 0.0;
    for (double v : null_ll) null_total += v;
    return fit_detail::assemble(minima, candidates, p, null_total);
  }
}

}  // namespace cascade
