// Checkpoints of a simulation run (docs/robustness.md, "Interruption and
// resume"): everything a resumed run needs, written atomically and verified
// when read.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "binary_file.hpp"
#include "cascade/engine/engine.hpp"

namespace cascade::run {

/// The identity of a file now (FNV-1a over its bytes, read in blocks; `stop`
/// set ends the read early and the result is then incomplete).
FileIdentity identify_file(const std::string& path, const std::atomic<bool>* stop = nullptr);

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
  std::vector<FileIdentity> inputs;   // every file the run reads, as it was when the run started
  std::vector<FileIdentity> outputs;  // every partial output (*.tmp) and its length when this was written
};

/// Writes atomically (FILE.tmp, fsync, rename): a reader sees the previous
/// checkpoint or this one, never a part.
void write_checkpoint(const std::string& path, const CheckpointData& c);
/// Reads and verifies (magic, version, length, checksum); errors name the file.
CheckpointData read_checkpoint(const std::string& path);

/// The exclusive lock of a checkpoint (an flock on CHECKPOINT.lock, held for
/// the whole run and released by the kernel when the process ends however it
/// ends): two runs of one checkpoint never write its outputs at once.
class CheckpointLock {
 public:
  explicit CheckpointLock(const std::string& checkpoint);
  ~CheckpointLock();
  CheckpointLock(const CheckpointLock&) = delete;
  CheckpointLock& operator=(const CheckpointLock&) = delete;
  /// The run is over: the lock file goes (while still held).
  void remove();

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace cascade::run
