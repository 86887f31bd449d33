// Checkpoints of a simulation run (docs/robustness.md, "Interruption and
// resume"): everything a resumed run needs, written atomically and verified
// when read.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"

namespace cascade::run {

/// The run's description (its settings as JSON, its working directory),
/// where it stood, the counters so far and the engine state at that point.
struct CheckpointData {
  std::string settings;           // run/settings.hpp settings_to_json
  std::string cwd;                // the run's working directory (relative paths)
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

}  // namespace cascade::run
