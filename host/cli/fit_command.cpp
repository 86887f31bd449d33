// `cascade fit`: W0 fitted back from recorded spikes (docs/inference.md);
// writes the fitted W0 as .npy with its provenance and convergence log.
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "args.hpp"
#include "cascade/cascade.hpp"
#include "cascade/run/execute.hpp"
#include "commands.hpp"
#include "log.hpp"
#include "progress.hpp"

namespace cascade::cli {

namespace {

/// Neurons fitted: a bar on a terminal.
class FitReport final : public run::RunObserver {
 public:
  FitReport(bool quiet, std::size_t neurons) : bar_(!quiet && isatty(STDERR_FILENO), "neurons", static_cast<std::int64_t>(neurons)) {}
  void started(const run::RunStart& s) override {
    log_info("fitting W0 of %s: %zu neurons, %llu candidate edges, %u trial(s)", s.model.c_str(), s.total_neurons,
             static_cast<unsigned long long>(s.synapses), s.replicas);
  }
  void progress(std::int64_t done, std::int64_t total) override {
    bar_.set_total(total);  // a SONATA input's neuron count is known only once it is read
    bar_.update(done, "");
  }
  void debug(const std::string& line) override { log_debug("%s", line.c_str()); }
  void finish() { bar_.finish(); }

 private:
  Progress bar_;
};

void report_recovery(const char* what, const Recovery& r) {
  log_info("%s: weight correlation %.4f over %zu true edges, edge-detection AUC %.4f, signs right %.1f %%", what,
           r.weight_correlation, r.true_edges - r.true_edges_not_scored, r.auc, 100.0 * r.sign_accuracy);
}

}  // namespace

int fit_command(const std::vector<std::string>& argv) {
  const run::Settings settings = parse_settings(run::Command::kFit, argv);
  if (settings.flag("help")) {
    std::fputs(run::help_text(run::Command::kFit).c_str(), stdout);
    return 0;
  }
  set_log_level_from_flags(settings.flag("quiet"), settings.flag("verbose"));
  const run::FitPlan plan = run::plan_fit(settings);
  FitReport report(settings.flag("quiet"), plan.neurons);
  const run::FitOutcome out = run::run_fit(plan, report);
  report.finish();
  const FitResult& r = out.result;
  log_info("%zu edges (%s), %lld trial(s) x %lld steps, burn-in %lld", r.edges, out.candidates.c_str(),
           static_cast<long long>(out.trials), static_cast<long long>(out.steps), static_cast<long long>(r.burn_in));
  log_info("log-likelihood %.10g (W0 = 0: %.10g) after %lld iteration(s); %zu of %zu neurons converged in %.3f s",
           r.log_likelihood, r.null_log_likelihood, static_cast<long long>(r.history.size() - 1), r.converged,
           r.neurons, out.wall_seconds);
  if (r.converged < r.neurons)
    log_warning("%zu neuron(s) stopped before converging (see stop_reasons in %s.json): raise --max-iterations or "
                "add a small --l2",
                r.neurons - r.converged, plan.output.c_str());
  if (out.has_truth) {
    report_recovery("fit     ", out.recovery);
    report_recovery("baseline", out.baseline);
    if (out.recovery.true_edges_not_scored)
      log_info("%zu true edge(s) are not candidates (fitted as 0)", out.recovery.true_edges_not_scored);
  }
  log_info("wrote %s", plan.output.c_str());
  return 0;
}

}  // namespace cascade::cli
