// The cascade command line: `cascade simulate ...`, `cascade info`.
#include <cstdio>
#include <new>
#include <exception>
#include <string>
#include <vector>

#include <csignal>

#include "cascade/cascade.hpp"
#include "commands.hpp"
#include "distributed.hpp"
#include "signals.hpp"

namespace {
const char* kUsage =
    "usage: cascade <command> [options]\n"
    "\n"
    "commands:\n"
    "  simulate   simulate networks and record their spikes (cascade simulate --help)\n"
    "  generate   seeded connectivity datasets (cascade generate --help)\n"
    "  resume     continue a checkpointed simulate run (cascade resume --help)\n"
    "  tune       fit parameters to a target firing rate (cascade tune --help)\n"
    "  fit        fit W0 back from recorded spikes (cascade fit --help)\n"
    "  models     every model's parameters, defaults, units, tunability (cascade models [NAME])\n"
    "  info       version, build options, threads\n"
    "\n"
    "  cascade --version | --help\n";
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // reports and progress (stderr) in the order they happen, in logs too
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string cmd = args.front();
  args.erase(args.begin());
  try {
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (cmd == "--version") {
      std::printf("cascade %s (rng stream %s)\n", cascade::kVersion, cascade::kRngStreamVersion);
      return 0;
    }
    // A stop request (SIGINT, SIGTERM) from here on: runs stop at a step
    // boundary, long preparations (loading, generating, planning) at once.
    cascade::cli::install_stop_signals();
    // A file-size limit (ulimit -f) makes a write fail with EFBIG, reported
    // with the file's name, instead of killing the process silently.
    std::signal(SIGXFSZ, SIG_IGN);
    const cascade::StopScope stop_scope(&cascade::cli::stop_requested());
    // Under mpirun/mpiexec/srun: this process is one rank of a distributed run.
    cascade::cli::start_distributed(cmd);
    if (cmd == "simulate") return cascade::cli::simulate_command(args);
    if (cmd == "tune") return cascade::cli::tune_command(args);
    if (cmd == "fit") return cascade::cli::fit_command(args);
    if (cmd == "resume") return cascade::cli::resume_command(args);
    if (cmd == "generate") return cascade::cli::generate_command(args);
    if (cmd == "info") return cascade::cli::info_command(args);
    if (cmd == "models") return cascade::cli::models_command(args);
    std::fprintf(stderr, "cascade: error: unknown command '%s'; expected simulate, resume, tune, fit, generate, models or info (see --help)\n", cmd.c_str());
    return 2;
  } catch (const cascade::cli::AgreedError& e) {
    // Every rank raised it: rank 0 says it once, every rank exits.
    std::fflush(stdout);
    if (cascade::cli::is_root()) std::fprintf(stderr, "cascade: error: %s\n", e.what());
    return e.code;
  } catch (const cascade::CollectiveError& e) {
    // Every rank of a distributed run raised it at the same point: each ends, rank 0 says why.
    std::fflush(stdout);
    if (cascade::cli::is_root()) std::fprintf(stderr, "cascade: error: %s\n", e.what());
    return 1;
  } catch (const cascade::Stopped& e) {
    std::fflush(stdout);
    if (cascade::cli::distributed()) cascade::cli::fail_distributed(std::string("interrupted: ") + e.what(), 130);
    const int sig = cascade::cli::stop_signal() ? cascade::cli::stop_signal() : SIGINT;
    std::fprintf(stderr, "cascade: interrupted by %s (%s); nothing was written\n", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                 e.what());
    return 128 + sig;
  } catch (const std::bad_alloc&) {
    std::fflush(stdout);
    if (cascade::cli::distributed()) cascade::cli::fail_distributed("out of memory (std::bad_alloc)", 1);
    std::fprintf(stderr,
                 "cascade: error: out of memory (std::bad_alloc): the run needs more memory than this process may "
                 "use (physical memory, ulimit -v, a container's limit); use smaller networks, fewer replicas or "
                 "steps per chunk (--chunk-steps)\n");
    return 1;
  } catch (const std::exception& e) {
    // During a distributed run the other ranks may wait in a collective:
    // the failing rank ends them all, with its message.
    if (cascade::cli::distributed()) cascade::cli::fail_distributed(e.what(), 1);
    std::fflush(stdout);  // what was reported comes before the error
    std::fprintf(stderr, "cascade: error: %s\n", e.what());
    return 1;
  }
}
