// `cascade simulate`, `cascade resume` and `cascade info`.
#include <csignal>
#include <cstdio>

#include "args.hpp"
#include "cascade/cascade.hpp"
#include "cascade/engine/gpu_engine.hpp"
#include "cascade/run/execute.hpp"
#include "commands.hpp"
#include "distributed.hpp"
#include "log.hpp"
#include "progress.hpp"
#include "signals.hpp"

namespace cascade::cli {

namespace {

/// Reports a simulation on the terminal: the start line, progress, debug lines.
class SimulationReport final : public run::RunObserver {
 public:
  /// `follow_plan`: the report level is the planned run's (cascade resume
  /// without --quiet or --verbose follows the run it continues).
  explicit SimulationReport(bool quiet, bool follow_plan = false)
      : progress_(!quiet, "steps", 0), follow_plan_(follow_plan) {}
  void planned(const run::SimulationPlan& plan) override {
    if (!follow_plan_) return;
    set_log_level_from_flags(plan.settings.flag("quiet"), plan.settings.flag("verbose"));
    if (plan.settings.flag("quiet")) progress_.disable();
  }
  void started(const run::RunStart& s) override {
    const std::string scale = s.batches > 1 ? ", in " + std::to_string(s.batches) + " batches of up to " +
                                                  std::to_string(s.batch_size)
                                            : ", " + std::to_string(s.synapses) + " synapses";
    log_info("%s on %zu network(s) (%zu neurons%s), %u replica(s); seed %llu; backend %s", s.model.c_str(), s.networks,
             s.total_neurons, scale.c_str(), s.replicas, static_cast<unsigned long long>(s.seed), s.backend.c_str());
  }
  void progress(std::int64_t done, std::int64_t total) override {
    progress_.set_total(total);
    progress_.update(done);
  }
  void debug(const std::string& line) override { log_debug("%s", line.c_str()); }
  void finish() { progress_.finish(); }

 private:
  Progress progress_;
  bool follow_plan_ = false;
};

int report(const run::SimulationPlan& plan, const run::SimulationOutcome& out) {
  const RunSummary& s = out.summary;
  if (out.stopped && !is_root()) return 128 + (stop_signal() ? stop_signal() : SIGINT);
  if (out.stopped) {
    const int sig = stop_signal();
    const char* name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (out.checkpoint_saved)
      std::fprintf(stderr,
                   "cascade: interrupted by %s after %lld of %lld recorded steps (batch %zu of %zu); the outputs "
                   "are incomplete (*.tmp). Resume with: cascade resume %s\n",
                   name, static_cast<long long>(out.recorded_done), static_cast<long long>(plan.steps), out.batch + 1,
                   plan.batches(), plan.checkpoint.c_str());
    else if (!plan.checkpoint.empty())
      std::fprintf(stderr,
                   "cascade: interrupted by %s after %lld of %lld recorded steps, before the first checkpoint; "
                   "nothing was written.\n",
                   name, static_cast<long long>(out.recorded_done), static_cast<long long>(plan.steps));
    else
      std::fprintf(stderr,
                   "cascade: interrupted by %s after %lld of %lld recorded steps; nothing was written (the partial "
                   "outputs were removed). Run with --checkpoint FILE to be able to resume.\n",
                   name, static_cast<long long>(out.recorded_done), static_cast<long long>(plan.steps));
    return 128 + (sig ? sig : SIGINT);
  }
  if (s.backend == "gpu")
    log_info("GPU: %s, strategy %s, %.3f GiB of device memory", s.device.c_str(), s.gpu_strategy.c_str(),
             static_cast<double>(s.device_bytes) / 1073741824.0);
  log_info("%lld steps (+%lld equilibration) in %.3f s on %d thread(s); mean rate %.4g Hz; %llu synaptic events",
           static_cast<long long>(plan.steps), static_cast<long long>(plan.equilibration), s.wall_seconds, s.threads,
           s.mean_rate_hz, static_cast<unsigned long long>(s.synaptic_events));
  if (s.ranks > 1)
    log_info("distributed over %d MPI ranks: rank 0 spent %.3f s (%.1f %%) in the spike exchange, %.3g MB exchanged",
             s.ranks, s.exchange_seconds, s.wall_seconds > 0 ? 100.0 * s.exchange_seconds / s.wall_seconds : 0.0,
             static_cast<double>(s.exchange_bytes) / 1e6);
  const int asked = resolve_thread_count(plan.options.threads);
  if (s.backend == "cpu" && s.threads < asked && plan.settings.has("threads"))
    log_info("note: %d of the %d thread(s) ran: the CPU engine gives each thread a whole network and replica "
             "of the batch, or at least 2048 neurons of a larger network (a thread team splitting one network "
             "costs two barriers per step); more networks or replicas (--batch-size, --replicas) use more",
             s.threads, asked);
  if (s.rate_capped)
    log_warning("%llu Poisson means exceeded %g and were capped", static_cast<unsigned long long>(s.rate_capped),
                kMaxPoissonMean);
  if (s.counts_saturated) log_warning("%llu counts saturated at 255", static_cast<unsigned long long>(s.counts_saturated));
  if (plan.dtype == RecordDtype::kBool && !plan.npy_outputs.empty())
    log_info("note: bool records whether a neuron spiked, not how often");
  if (out.checkpoint_removed) log_info("checkpoint %s removed (the run completed)", plan.checkpoint.c_str());
  for (const auto& o : plan.npy_outputs) log_info("wrote %s and %s.json", o.c_str(), o.c_str());
  for (const auto& o : plan.h5_outputs) log_info("wrote %s (SONATA spikes)", o.c_str());
  if (!plan.save_state.empty())
    log_info("wrote %s (the engine state; later runs start from it with --load-state %s)", plan.save_state.c_str(),
             plan.save_state.c_str());
  return 0;
}

}  // namespace

int simulate_command(const std::vector<std::string>& argv) {
  run::Settings settings;
  run::SimulationPlan plan;
  bool help = false;
  // The inputs are checked on every rank before any runs: a bad one is
  // reported once and every rank exits.
  agreed([&] {
    settings = parse_settings(run::Command::kSimulate, argv);
    help = settings.flag("help");
    if (help) return;
    set_log_level_from_flags(settings.flag("quiet"), settings.flag("verbose"));
    plan = run::plan_simulation(settings);
    plan.options.communicator = world();
  });
  help = agreed_any(help);  // --help on some ranks only: every rank takes it
  if (!help) agreed([&] { run::check_same_plan(plan); });  // a collective: only once every rank has its plan
  if (help) {
    if (is_root()) std::fputs(run::help_text(run::Command::kSimulate).c_str(), stdout);
    return 0;
  }
  SimulationReport observer(settings.flag("quiet") || !is_root());
  const run::SimulationOutcome out = run::run_simulation(plan, observer, &stop_requested());
  observer.finish();
  return report(plan, out);
}

int resume_command(const std::vector<std::string>& argv) {
  FlagsAndArgs args;
  agreed([&] {  // every rank checks its arguments before any reads the checkpoint
    args = parse_flags(argv, {"help", "quiet", "verbose"});
    if (args.has("help")) return;
    if (args.positional.size() != 1) throw Error("resume: expected one checkpoint file (cascade resume FILE)");
    if (args.positional.front().empty()) throw Error("resume: an empty path; expected the checkpoint file");
  });
  if (agreed_any(args.has("help"))) {
    if (is_root())
      std::puts("usage: cascade resume FILE [--quiet|--verbose]\n\n"
                "Continues the run that `cascade simulate --checkpoint FILE` saved (when interrupted or killed):\n"
                "same arguments, same working directory, and outputs bit-identical to an uninterrupted run.\n"
                "Under mpirun, any number of ranks resumes a checkpoint that any number wrote.");
    return 0;
  }
  set_log_level_from_flags(args.has("quiet"), args.has("verbose"));
  SimulationReport observer(args.has("quiet") || !is_root(), !args.has("quiet") && !args.has("verbose") && is_root());
  run::SimulationPlan plan;
  const run::SimulationOutcome out =
      run::resume_simulation(args.positional.front(), observer, &stop_requested(), &plan, world());
  observer.finish();
  return report(plan, out);
}

int info_command(const std::vector<std::string>& argv) {
  if (parse_flags(argv, {"help"}).has("help")) {
    std::puts("usage: cascade info\n\nPrints the version, build options, visible GPUs and CPU threads.");
    return 0;
  }
  const BuildInfo b = build_info();
  std::printf("cascade %s (git %s)\nrng stream: %s\nbuild: %s, %s\nCUDA kernels built: %s\n", b.version.c_str(),
              b.git_hash.c_str(), kRngStreamVersion, b.build_type.c_str(), b.compiler.c_str(),
              b.cuda ? ("yes (sm_" + b.cuda_architectures + ")").c_str() : "no");
  std::printf("MPI: %s\n", mpi_built() ? "built (simulate and resume run distributed under mpirun, mpiexec or srun)"
                                        : "not in this build (one process)");
  const std::vector<std::string> devices = gpu_device_descriptions();
  if (devices.empty()) std::printf("GPUs: none visible\n");
  for (std::size_t d = 0; d < devices.size(); ++d) std::printf("GPU %zu: %s\n", d, devices[d].c_str());
  std::printf("GPU engine: %s\n", !gpu_engine_built() ? "not in this build (CPU only)"
                                   : devices.empty() ? "built; no device, so --backend auto runs on the CPU"
                                                     : "built; --backend auto runs on GPU 0");
  std::printf("CPU threads (default): %d (a batch runs one per 2048 neuron slots, up to this)\nmodels:",
              resolve_thread_count(0));
  for (const auto& m : model_names()) std::printf(" %s", m.c_str());
  std::printf("\n");
  return 0;
}

}  // namespace cascade::cli
