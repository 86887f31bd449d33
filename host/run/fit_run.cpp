// Running a fit plan: the spikes and candidates loaded, the fit, the truth
// compared, W0 and its provenance written together (or neither).
#include <chrono>
#include <cstdio>

#include "cascade/dataset.hpp"
#include "cascade/error.hpp"
#include "cascade/fit.hpp"
#include "cascade/npy.hpp"
#include "cascade/run/execute.hpp"
#include "cascade/stop.hpp"
#include "provenance.hpp"
#include "text_file.hpp"

namespace cascade::run {

namespace {

std::vector<double> truth_weights(const std::string& path, std::size_t n) {
  const Network net = load_network(path);
  if (net.n_neurons() != n)
    throw Error("--truth '" + path + "': a network of " + std::to_string(net.n_neurons()) +
                " neurons, but the spikes have " + std::to_string(n) + "; expected the network that made them");
  return dense_weights(net);
}

}  // namespace

FitOutcome run_fit(const FitPlan& plan, RunObserver& observer) {
  const auto started = std::chrono::system_clock::now();
  const auto t0 = std::chrono::steady_clock::now();
  FitOutcome out;
  const SpikeData spikes = load_spikes(plan.spikes);
  out.trials = spikes.trials;
  out.neurons = spikes.neurons;
  out.steps = spikes.steps;
  const std::size_t N = spikes.neurons;
  const bool self = fits_self_edges(plan.setup.model);
  // The spikes and options first (before the cross-correlation's O(N x spikes)).
  validate_fit(plan.setup.model, spikes, Candidates{N, std::vector<std::vector<std::uint32_t>>(N)}, plan.fit);
  std::vector<double> truth;
  if (!plan.truth.empty()) truth = truth_weights(plan.truth, N);  // before the fit: a bad truth fails fast
  check_stop("reading the fit's inputs");
  const std::int64_t burn = plan.fit.burn_in;
  std::vector<double> xcorr;
  if (plan.screen > 0 || !truth.empty()) xcorr = filtered_cross_correlation(plan.setup.model, spikes, burn, plan.fit.threads);
  Candidates cand;
  if (!plan.candidates.empty()) {
    cand = candidates_from_file(plan.candidates, N, self);
    out.candidates = plan.candidates;
  } else if (plan.screen > 0) {
    cand = screen_candidates(xcorr, N, static_cast<std::size_t>(plan.screen), self);
    out.candidates = "screened: the " + std::to_string(plan.screen) +
                     " presynaptic neurons of largest filtered cross-correlation per neuron";
  } else {
    cand = all_pairs(N, self);
    out.candidates = self ? "every pair" : "every pair but the diagonal";
  }
  validate_fit(plan.setup.model, spikes, cand, plan.fit);
  RunStart start;
  start.model = model_name(plan.setup.model);
  start.networks = 1;
  start.total_neurons = N;
  start.synapses = cand.edges();
  start.replicas = static_cast<std::uint32_t>(spikes.trials);
  start.backend = "cpu";
  observer.started(start);
  observer.debug("fit: " + std::to_string(cand.edges()) + " candidate edges (" + out.candidates + ")");
  out.result = fit_connectivity(plan.setup.model, spikes, cand, plan.setup.stimuli, plan.fit,
                                [&](std::size_t done, std::size_t total) {
                                  observer.progress(static_cast<std::int64_t>(done), static_cast<std::int64_t>(total));
                                });
  if (!truth.empty()) {
    out.has_truth = true;
    out.recovery = recovery(out.result.weights, truth, cand);
    out.baseline = recovery(xcorr, truth, cand);
  }
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // W0 and its sidecar appear together: the sidecar staged, the array written
  // through its .tmp and renamed, then the sidecar renamed.
  const std::string sidecar = plan.output + ".json";
  stage_text_file(sidecar, fit_provenance(plan, out, started));
  try {
    write_npy(plan.output, NpyDtype::kFloat64, {N, N}, out.result.weights.data());
    commit_text_file(sidecar);
  } catch (...) {
    discard_text_file(sidecar);
    throw;
  }
  return out;
}

}  // namespace cascade::run
