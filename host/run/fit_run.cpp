// Running a fit plan: the spikes and candidates loaded, the fit, the truth
// compared, W0 and its provenance written together (or neither).
#include <chrono>
#include <cstdio>
#include <optional>

#include "cascade/dataset.hpp"
#include "cascade/error.hpp"
#include "cascade/fit.hpp"
#include "cascade/npy.hpp"
#include "cascade/run/execute.hpp"
#include "cascade/stop.hpp"
#include "provenance.hpp"
#include "text_file.hpp"

namespace cascade::run {

FitOutcome run_fit(const FitPlan& plan, RunObserver& observer) {
  const auto started = std::chrono::system_clock::now();
  const auto t0 = std::chrono::steady_clock::now();
  FitOutcome out;
  const SpikeData spikes = load_spikes(plan.spikes);
  out.trials = spikes.trials;
  out.neurons = spikes.neurons;
  out.steps = spikes.steps;
  const std::size_t N = spikes.neurons;
  FitSetup setup;
  std::optional<Network> candidates, truth;  // loaded from their files first: a bad file fails before any work
  if (!plan.candidates.empty()) {
    candidates = load_network(plan.candidates);
    setup.candidates = &*candidates;
    setup.candidates_what = "--candidates " + plan.candidates;
    setup.candidates_source = plan.candidates;
  }
  if (!plan.truth.empty()) {
    truth = load_network(plan.truth);
    setup.truth = &*truth;
    setup.truth_what = "--truth '" + plan.truth + "'";
  }
  setup.screen = static_cast<std::size_t>(plan.screen);
  check_stop("reading the fit's inputs");
  auto started_fit = [&](const Candidates& cand, const std::string& how) {
    RunStart start;
    start.model = model_name(plan.setup.model);
    start.networks = 1;
    start.total_neurons = N;
    start.synapses = cand.edges();
    start.replicas = static_cast<std::uint32_t>(spikes.trials);
    start.backend = "cpu";
    observer.started(start);
    observer.debug("fit: " + std::to_string(cand.edges()) + " candidate edges (" + how + ")");
  };
  FitComparison fc = fit_and_compare(
      plan.setup.model, spikes, setup, plan.setup.stimuli, plan.fit,
      [&](std::size_t done, std::size_t total) {
        observer.progress(static_cast<std::int64_t>(done), static_cast<std::int64_t>(total));
      },
      started_fit);
  out.result = std::move(fc.result);
  out.candidates = std::move(fc.candidates);
  out.has_truth = fc.has_truth;
  out.recovery = fc.recovery;
  out.baseline = fc.baseline;
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
