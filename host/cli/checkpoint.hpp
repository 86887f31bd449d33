// Checkpoints of `cascade simulate` (docs/robustness.md, "Interruption and
// resume") and the stop request that SIGINT / SIGTERM raise.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"

namespace cascade::cli {

/// Everything a resumed run needs: the run's description (its expanded
/// arguments and working directory), where it stood, the counters so far and
/// the engine state at that point.
struct CheckpointData {
  std::vector<std::string> argv;  // simulate's arguments, run file already expanded
  std::string run_text, run_path, cwd;
  std::uint64_t batch = 0;        // the batch in progress
  std::int64_t eq_done = 0;       // its equilibration steps done
  std::int64_t rec_done = 0;      // its recorded steps done
  std::int64_t steps_before = 0;  // steps of earlier batches and chunks (progress)
  bool has_totals = false;        // the counters below hold earlier chunks
  RunSummary totals;              // recorded_*, spiking_neuron_steps, synaptic_events, rate_capped,
                                  // counts_saturated, wall_seconds, threads, dt, backend
  bool has_state = false;         // false: the batch starts fresh
  EngineState state;
};

/// Writes atomically (FILE.tmp, fsync, rename): a reader sees the previous
/// checkpoint or this one, never a part.
void write_checkpoint(const std::string& path, const CheckpointData& c);
/// Reads and verifies (magic, version, length, checksum); errors name the file.
CheckpointData read_checkpoint(const std::string& path);

/// SIGINT and SIGTERM set the stop request (a second one ends the process at
/// once, as by default).
void install_stop_signals();
const std::atomic<bool>& stop_requested();
/// The signal that asked to stop (0: none).
int stop_signal();

}  // namespace cascade::cli
