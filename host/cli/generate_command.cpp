// `cascade generate`: seeded connectivity datasets (0.npy ... (K-1).npy, or
// edge-list directories 0/ ... (K-1)/ for large sparse networks).
#include <cstdio>

#include "args.hpp"
#include "cascade/run/execute.hpp"
#include "commands.hpp"
#include "log.hpp"

namespace cascade::cli {

int generate_command(const std::vector<std::string>& argv) {
  const run::Settings settings = parse_settings(run::Command::kGenerate, argv);
  if (settings.flag("help")) {
    std::fputs(run::help_text(run::Command::kGenerate).c_str(), stdout);
    return 0;
  }
  const run::GeneratePlan plan = run::plan_generate(settings);
  const run::GenerateOutcome out = run::run_generate(plan);
  set_log_level_from_flags(settings.flag("quiet"), false);
  log_info("wrote %zu %s network(s) of %zu neurons (%.4g synapses each on average) to %s in %.3f s", out.networks,
           plan.kind.c_str(), plan.n, static_cast<double>(out.synapses) / static_cast<double>(out.networks),
           plan.out.c_str(), out.wall_seconds);
  return 0;
}

}  // namespace cascade::cli
