// Connectivity inference: W0 fitted back from recorded spikes by maximum
// likelihood (docs/inference.md).
//
// With the model's other parameters fixed, neuron i's drive is linear in the
// weights onto it: g_i(t) = input(S_i(t), self_i(t), E_i(t)) with
// S_i(t) = sum_j W0[j,i] F_j(t) and F_j the model's coupling filter applied
// to neuron j's observed counts. The fit maximises
//   sum_{trials, t >= burn_in} log P(n_i(t) | phi(g_i(t)))
// (Bernoulli or Poisson, the model's EmissionLaw) minus an optional L1/L2
// penalty, for every postsynaptic neuron independently (the likelihood
// separates by neuron), over a candidate edge set. Optimiser: OWL-QN
// (L-BFGS; orthant-wise for L1). Deterministic for any thread count: each
// neuron's fit is sequential and the totals are summed in neuron order.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cascade/models/registry.hpp"
#include "cascade/stimulus.hpp"

namespace cascade {

/// Observed counts [trials][neurons][steps]: a Cascade raster (.npy
/// [N, T] or [replicas, N, T]); replicas are independent trials of the
/// same network.
struct SpikeData {
  std::size_t trials = 0, neurons = 0, steps = 0;
  std::vector<std::uint8_t> counts;
  std::string source;  // where it was read from (messages, provenance)
  /// The stimulus time of step 0: a recording window's first step (the
  /// run's --record-window; from a cascade output's provenance), else 0.
  std::int64_t stimulus_start = 0;
  std::uint8_t at(std::size_t r, std::size_t i, std::size_t t) const {
    return counts[(r * neurons + i) * steps + t];
  }
};

/// Reads a raster: .npy of integer, bool or float dtype holding counts
/// 0..255, shape [N, T] or [R, N, T], or a cascade SONATA .h5 of one
/// network. A cascade output's provenance (FILE.npy.json, the .h5's
/// attribute) gives the stimulus start and must describe one network with
/// every neuron recorded. Errors name the file and what was expected.
SpikeData load_spikes(const std::string& path);
/// Spikes from memory (the Python package's arrays); `what` names them in errors.
SpikeData spikes_from_counts(std::vector<std::uint8_t> counts, std::size_t trials, std::size_t neurons,
                             std::size_t steps, const std::string& what = "spikes");

/// A candidate edge set: for each postsynaptic neuron i, the presynaptic j
/// whose weight W0[j,i] is fitted (ascending). Every other weight is 0.
struct Candidates {
  std::size_t neurons = 0;
  std::vector<std::vector<std::uint32_t>> pre;  // [i]: sorted j
  std::size_t edges() const;
};
/// Every pair (without the diagonal when the model keeps it for its own
/// refractory filter: BernoulliGLM).
Candidates all_pairs(std::size_t neurons, bool self_edges);
/// The nonzero pattern of a network file (any format cascade reads: dense
/// .npy, Matrix Market, edge-list directory); `self_edges` false refuses a
/// diagonal entry, naming it.
Candidates candidates_from_file(const std::string& path, std::size_t neurons, bool self_edges);
/// A network's synapses as candidates (`what` names it in errors).
class Network;
Candidates candidates_from_network(const Network& net, std::size_t neurons, bool self_edges, const std::string& what);
/// A network's weights as a dense [N, N] W0 (j * N + i), any size.
std::vector<double> dense_weights(const Network& net);
/// The nonzero pattern of a dense [N, N] matrix (W0[j,i] at j * N + i).
Candidates candidates_from_dense(const std::vector<double>& mask, std::size_t neurons, bool self_edges,
                                 const std::string& what = "candidates");

struct FitOptions {
  double l1 = 0.0;                // penalty on sum |w| (per observed neuron-step, glmnet's scaling)
  double l2 = 0.0;                // penalty on sum w^2 / 2 (same scaling)
  std::int64_t max_iterations = 500;  // per neuron
  double tolerance = 1e-9;        // stop when the objective falls by less than this, relative
  double gradient_tolerance = 1e-8;  // ... or the (pseudo-)gradient's largest entry falls below this
  int memory = 10;                // L-BFGS pairs kept
  std::int64_t burn_in = -1;      // steps of each trial left out of the likelihood (-1: the model's settle time)
  std::uint64_t stimulus_seed = 0;  // the seed the recorded run used (Poisson stimulus plans follow it)
  int threads = 0;                // 0: all
};

/// One row of the convergence log: the totals over neurons after
/// `iteration` optimiser iterations (a neuron that converged earlier counts
/// with its final value).
struct FitIteration {
  std::int64_t iteration = 0;
  double objective = 0.0;       // sum_i (-loglik_i / observations + penalty_i)
  double log_likelihood = 0.0;  // sum_i loglik_i (nats, the counts' full log-probability)
  std::size_t active = 0;       // neurons that took this iteration (row 0: all)
};

struct FitResult {
  std::size_t neurons = 0;
  std::vector<double> weights;  // W0[j,i] at j * N + i (dense [N, N])
  std::vector<FitIteration> history;
  std::int64_t burn_in = 0, observations = 0;  // observed neuron-steps per neuron
  std::size_t edges = 0;        // fitted weights
  std::size_t converged = 0;    // neurons that met a stopping criterion
  std::vector<std::int64_t> iterations;  // per neuron
  std::vector<std::string> stop_reason;  // per neuron: "objective", "gradient", "line search", "iterations"
  double log_likelihood = 0.0;  // at the fitted weights
  double null_log_likelihood = 0.0;  // at W0 = 0 (the fit's starting point)
};

using FitProgress = std::function<void(std::size_t neurons_done, std::size_t neurons)>;

/// Whether W0's diagonal may be fitted: false for a model that keeps it for
/// its own refractory filter (BernoulliGLM).
bool fits_self_edges(const AnyModel& model);
/// Why a model cannot be fitted ("" when it can).
std::string fit_refusal(const AnyModel& model);
/// The default burn-in: the steps after which the model's drive no longer
/// depends on the unrecorded state before the first step (the filter's
/// length; for activation traces, until its weight falls below 1e-6).
std::int64_t default_burn_in(const AnyModel& model);

/// Every check fit_connectivity makes before it starts (the model, sizes,
/// counts, candidates, options, burn-in), without fitting.
void validate_fit(const AnyModel& model, const SpikeData& spikes, const Candidates& candidates,
                  const FitOptions& options = {});

/// Fits W0 on the candidates. `stimuli` are the recorded run's (their
/// masks sized for one network of N neurons). Throws cascade::Error on a
/// model without a likelihood, mismatched sizes, counts the law cannot
/// produce (Bernoulli counts above 1), or observed spikes where the rate at
/// W0 = 0 is 0 (a rectified model whose b <= theta).
FitResult fit_connectivity(const AnyModel& model, const SpikeData& spikes, const Candidates& candidates,
                           const std::vector<Stimulus>& stimuli = {}, const FitOptions& options = {},
                           const FitProgress& progress = {});

/// The cross-correlation baseline: the Pearson correlation over observed
/// steps of F_j(t) (neuron j's counts through the model's coupling filter)
/// with n_i(t), for every pair: [N, N], j * N + i. Diagonal 0 without self edges.
std::vector<double> filtered_cross_correlation(const AnyModel& model, const SpikeData& spikes, std::int64_t burn_in,
                                               int threads = 0);
/// For each postsynaptic neuron, the k presynaptic neurons of largest
/// |filtered_cross_correlation| (ties: the lower index).
Candidates screen_candidates(const std::vector<double>& scores, std::size_t neurons, std::size_t k, bool self_edges);

/// How well estimated weights recover the truth, over the pairs scored.
struct Recovery {
  std::size_t pairs = 0, true_edges = 0;
  std::size_t true_edges_not_scored = 0;  // true edges outside the candidate set (fitted as 0)
  double weight_correlation = 0.0;  // Pearson r of estimate and truth over the true edges
  double auc = 0.0;                 // ROC AUC of |estimate| detecting a true edge
  double sign_accuracy = 0.0;       // true edges whose estimate has their sign (0 counts as wrong)
};
/// `estimate` and `truth` dense [N, N] (j * N + i); `scored` the pairs
/// compared (the candidates), others only counted.
Recovery recovery(const std::vector<double>& estimate, const std::vector<double>& truth, const Candidates& scored);

/// What cascade fit (and cascade.fit) is asked beyond the spikes: the edges
/// to fit — a network's synapses, or the `screen` presynaptic neurons of
/// largest baseline score per neuron, or (neither) every pair — and a true
/// W0 to compare with. The names say where each came from in messages.
struct FitSetup {
  const Network* candidates = nullptr;
  std::string candidates_what = "candidates";    // in messages ("--candidates PATH")
  std::string candidates_source = "candidates";  // in the description (a path)
  std::size_t screen = 0;
  const Network* truth = nullptr;
  std::string truth_what = "truth";
};
struct FitComparison {
  FitResult result;
  std::string candidates;  // how they were chosen ("every pair", "screened: ...", the source)
  bool has_truth = false;
  Recovery recovery, baseline;  // with a truth: the fit's and the cross-correlation baseline's
};
/// The spikes and options checked, the candidates chosen (`started`, when
/// given, hears them just before the fit), the fit, and with a truth both
/// recoveries: the one sequence every front end runs.
FitComparison fit_and_compare(const AnyModel& model, const SpikeData& spikes, const FitSetup& setup,
                              const std::vector<Stimulus>& stimuli, const FitOptions& options,
                              const FitProgress& progress = {},
                              const std::function<void(const Candidates&, const std::string&)>& started = {});

}  // namespace cascade
