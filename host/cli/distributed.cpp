// The command line under an MPI launcher (distributed.hpp).
#include "distributed.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "log.hpp"

namespace cascade::cli {

namespace {

std::shared_ptr<Communicator> g_world;  // the job's ranks (CLI state, set once in main)

/// The launcher's process count from its environment (0: not said).
long launcher_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"})
    if (const char* s = std::getenv(v); s && *s) return std::strtol(s, nullptr, 10);
  return 0;
}

}  // namespace

void start_distributed(const std::string& command) {
  if (!launched_by_mpi_launcher()) return;
  if (!mpi_built()) {
    if (launcher_size() > 1)
      throw Error("this cascade was built without MPI, but an MPI launcher started " + std::to_string(launcher_size()) +
                  " processes, each of which would run the whole simulation; rebuild with libopenmpi-dev installed "
                  "(scripts/install-deps.sh) or run cascade without mpirun");
    return;
  }
  g_world = world_communicator();
  if (g_world && g_world->size() > 1) mute_log_for_rank(g_world->rank() != 0);
  if (g_world && g_world->size() > 1 && command != "simulate" && command != "resume" && command != "tune")
    agree(std::make_exception_ptr(Error(
        "cascade " + command + " runs in one process; only simulate, resume and tune run distributed over " +
        std::to_string(g_world->size()) + " MPI ranks (docs/distributed.md): launch it without mpirun")));
}

std::shared_ptr<Communicator> world() { return g_world; }
bool is_root() { return !g_world || g_world->rank() == 0; }
bool distributed() { return g_world && g_world->size() > 1; }

void agree(const std::exception_ptr& mine) {
  if (!distributed()) {
    if (mine) std::rethrow_exception(mine);
    return;
  }
  try {
    g_world->agree(mine);
  } catch (const CollectiveError& e) {
    throw AgreedError(e.what(), 1);
  }
}

bool agreed_any(bool mine) { return distributed() ? g_world->any(mine) : mine; }

void fail_distributed(const std::string& message, int exit_code) {
  std::fflush(stdout);
  // When every rank failed alike, rank 0's abort ends the others before they print.
  if (!is_root()) std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  if (is_root())
    std::fprintf(stderr, "cascade: error: %s\n", message.c_str());
  else
    std::fprintf(stderr, "cascade: error (rank %d of %d): %s\n", g_world->rank(), g_world->size(), message.c_str());
  std::fflush(stderr);
  g_world->abort(exit_code);
  std::_Exit(exit_code);  // abort does not return
}

}  // namespace cascade::cli
