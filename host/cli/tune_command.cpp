// `cascade tune`: Adam on the expected firing rate; writes the tuned
// parameters (and the history) as JSON that `cascade simulate --params-file` reads.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "args.hpp"
#include "cascade/cascade.hpp"
#include "cascade/run/execute.hpp"
#include "commands.hpp"
#include "distributed.hpp"
#include "log.hpp"
#include "progress.hpp"

namespace cascade::cli {

namespace {

/// Reports a tune: a bar on a terminal, a line every 5 % of the epochs.
class TuneReport final : public run::RunObserver {
 public:
  TuneReport(bool quiet, std::int64_t epochs)
      : quiet_(quiet), every_(std::max<std::int64_t>(1, epochs / 20)),
        bar_(!quiet && isatty(STDERR_FILENO), "epochs", epochs) {}
  void epoch(const TuneEpoch& e, std::int64_t total) override {
    char rate[64];
    std::snprintf(rate, sizeof rate, "rate %.4g Hz", e.rate_hz);
    bar_.update(e.epoch + 1, rate);
    log_debug("epoch %lld: rate %.6g Hz, loss %.6g", static_cast<long long>(e.epoch + 1), e.rate_hz, e.loss);
    if (!quiet_ && ((e.epoch + 1) % every_ == 0 || e.epoch + 1 == total)) {
      bar_.finish();
      log_info("epoch %lld/%lld: rate %.5g Hz, loss %.5g", static_cast<long long>(e.epoch + 1),
               static_cast<long long>(total), e.rate_hz, e.loss);
    }
  }
  void finish() { bar_.finish(); }

 private:
  bool quiet_;
  std::int64_t every_;
  Progress bar_;
};

}  // namespace

int tune_command(const std::vector<std::string>& argv) {
  run::Settings settings;
  run::TunePlan plan;
  bool help = false;
  agreed([&] {  // the inputs checked on every rank of a distributed tune before any runs
    settings = parse_settings(run::Command::kTune, argv);
    help = settings.flag("help");
    if (help) return;
    set_log_level_from_flags(settings.flag("quiet"), settings.flag("verbose"));
    plan = run::plan_tune(settings);
    plan.options.communicator = world();
  });
  if (agreed_any(help)) {  // --help on some ranks only: every rank takes it
    if (is_root()) std::fputs(run::help_text(run::Command::kTune).c_str(), stdout);
    return 0;
  }
  agreed([&] { run::check_same_settings(settings, world().get()); });
  std::string names;
  for (const auto& n : plan.names) names += (names.empty() ? "" : ", ") + n;
  log_info("tuning %s of %s on %zu network(s) to %g Hz: %lld epochs of %lld steps, lr %g, seed %llu", names.c_str(),
           model_name(plan.setup.model).c_str(), plan.networks.source.size(), plan.tune.target_hz,
           static_cast<long long>(plan.tune.epochs), static_cast<long long>(plan.tune.steps), plan.tune.lr,
           static_cast<unsigned long long>(plan.options.seed));
  TuneReport report(settings.flag("quiet") || !is_root(), plan.tune.epochs);
  const run::TuneOutcome out = run::run_tune(plan, report);
  report.finish();
  const TuneResult& r = out.result;
  for (std::size_t q = 0; q < r.names.size(); ++q)
    log_info("%s: %.10g -> %.10g", r.names[q].c_str(), r.initial[q], r.final[q]);
  log_info("last epoch rate %.5g Hz (target %g Hz) in %.3f s (gradients: %s)", r.history.back().rate_hz,
           plan.tune.target_hz, out.wall_seconds, r.gradient_path.c_str());
  if (r.silent_epoch >= 0) log_warning("%s", r.advice.c_str());
  const TuneCheck& c = out.check;
  log_info("check: %lld steps (+%lld equilibration) with the tuned parameters: %.5g Hz (standard error %.2g), target "
           "%g Hz +- %.3g",
           static_cast<long long>(c.steps), static_cast<long long>(c.equilibration), c.rate_hz, c.standard_error_hz,
           c.target_hz, c.allowed_hz);
  if (!plan.output.empty()) log_info("wrote %s", plan.output.c_str());
  if (!c.within) {
    if (!is_root()) return 3;
    std::fflush(stdout);  // the report first, then the verdict
    // One line: how far, what to try; the parameters were still written (marked) for inspection.
    std::fprintf(stderr,
                 "cascade: error: tune missed the target: the check run gives %.5g Hz, %.5g Hz from the target %g Hz "
                 "(allowed %.3g Hz: --tolerance %g, --tolerance-hz %g)%s; %s\n",
                 c.rate_hz, std::fabs(c.rate_hz - c.target_hz), c.target_hz, c.allowed_hz, plan.check.tolerance,
                 plan.check.tolerance_hz,
                 plan.output.empty() ? "" : ("; the parameters in " + plan.output + " say so").c_str(),
                 c.advice.c_str());
    return 3;
  }
  return 0;
}

}  // namespace cascade::cli
