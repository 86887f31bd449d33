// Running a plan (run/plan.hpp): the batches and chunks of a simulation
// streamed to its outputs with their provenance, checkpoints and resume; a
// tune with its tuned-parameters file; a generated dataset. The library never
// prints: a front end hears what happens through a RunObserver and reports it.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/run/plan.hpp"
#include "cascade/tune.hpp"

namespace cascade::run {

/// What the first batch of a simulation is, once built.
struct RunStart {
  std::string model;
  std::size_t networks = 0, total_neurons = 0, batches = 0, batch_size = 0;
  std::uint64_t synapses = 0;  // of the first batch
  std::uint32_t replicas = 0;
  std::uint64_t seed = 0;
  std::string backend;
};

/// Hears a run's progress (all optional; called from the calling thread).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  /// The plan a run (or a resumed run, from its checkpoint) follows, before it starts.
  virtual void planned(const SimulationPlan&) {}
  virtual void started(const RunStart&) {}
  /// `done` of `total` steps (all batches, equilibration included).
  virtual void progress(std::int64_t /*done*/, std::int64_t /*total*/) {}
  /// A tune epoch finished.
  virtual void epoch(const TuneEpoch&, std::int64_t /*epochs*/) {}
  /// Detail for a verbose log (batches, chunks, checkpoints).
  virtual void debug(const std::string&) {}
};

struct SimulationOutcome {
  RunSummary summary;             // every batch and chunk, as one run
  bool stopped = false;           // a stop request ended the run early
  std::int64_t recorded_done = 0;  // recorded steps of the batch in progress when stopped
  std::size_t batch = 0;          // that batch (0-based)
  bool checkpoint_saved = false;  // stopped with a checkpoint: resume it
  bool checkpoint_removed = false;  // completed: the checkpoint is gone
  std::vector<std::string> written;  // outputs committed (.npy with its .json, .h5)
};

/// Runs a planned simulation (distributed over plan.options.communicator's
/// ranks when it has one: every rank calls this with the same plan; rank 0
/// writes the outputs). `stop` (may be null) ends it at a step
/// boundary: the outputs stay under temporary names for a checkpointed run
/// (saved first) and are removed otherwise.
SimulationOutcome run_simulation(const SimulationPlan& plan, RunObserver& observer,
                                 const std::atomic<bool>* stop = nullptr);

/// Collective in a distributed run: refuses (on every rank) a plan whose
/// settings differ between the ranks, which would otherwise wait forever in
/// mismatched collectives. Nothing to check in one process.
void check_same_plan(const SimulationPlan& plan);
/// The same for any command's settings (tune's).
void check_same_settings(const Settings& settings, Communicator* comm);

/// Continues the run a checkpoint holds (`cascade resume FILE`): its settings,
/// its directory, its partial outputs; bit-identical to an uninterrupted run.
/// `plan` (may be null) receives the plan the checkpoint's settings make.
/// `communicator`: the ranks of a distributed resume (null: one process);
/// the checkpoint holds the whole state, so any number of ranks resumes it.
SimulationOutcome resume_simulation(const std::string& checkpoint, RunObserver& observer,
                                    const std::atomic<bool>* stop = nullptr, SimulationPlan* plan = nullptr,
                                    std::shared_ptr<Communicator> communicator = nullptr);

struct TuneOutcome {
  TuneResult result;
  TuneCheck check;  // the final check run with the tuned parameters
  double wall_seconds = 0.0;
};
/// Runs a planned tune and its check; writes --output-params when given
/// (with the check: a missed target is recorded there, not hidden).
/// Distributed over plan.options.communicator's ranks when it has one
/// (every rank calls it; the gradient's shares are added in rank order;
/// rank 0 writes).
TuneOutcome run_tune(const TunePlan& plan, RunObserver& observer);

struct FitOutcome {
  FitResult result;
  std::size_t trials = 0, neurons = 0, steps = 0;
  std::string candidates;          // how they were chosen ("every pair", "screened: K per neuron", a path)
  bool has_truth = false;
  Recovery recovery, baseline;     // with --truth: the fit's and the cross-correlation baseline's
  double wall_seconds = 0.0;
};
/// Runs a planned fit: loads the spikes and candidates, fits (progress:
/// neurons done), compares with the truth, writes W0 and its provenance.
FitOutcome run_fit(const FitPlan& plan, RunObserver& observer);

struct GenerateOutcome {
  std::size_t networks = 0;
  std::uint64_t synapses = 0;
  double wall_seconds = 0.0;
};
GenerateOutcome run_generate(const GeneratePlan& plan);

}  // namespace cascade::run
