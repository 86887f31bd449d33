// Provenance: what produced an output, as a JSON value (nlohmann-json,
// insertion order kept): version, git hash, RNG stream, the command line and
// run file, the model, stimuli, networks, options and the run's summary.
#pragma once
#include <chrono>
#include <string>

#include "cascade/run/execute.hpp"
#include "cascade/run/plan.hpp"
#include "cascade/tune.hpp"

namespace cascade::run {

/// ISO 8601 UTC time, e.g. 2026-11-26T09:30:00Z.
std::string utc_time_text(std::chrono::system_clock::time_point t);
/// The CPU's model name (/proc/cpuinfo), "unknown" if unreadable.
std::string host_cpu_name();

/// The provenance of a simulation's outputs (FILE.npy.json, SONATA attribute).
std::string simulation_provenance(const SimulationPlan& plan, const RunSummary& summary, double dt_ms,
                                  std::chrono::system_clock::time_point started, bool resumed = false);
/// The tuned-parameters file (--output-params), which simulate reads back.
std::string tune_provenance(const TunePlan& plan, const TuneResult& result, const TuneCheck& check, double wall_seconds,
                            std::chrono::system_clock::time_point started);

/// The fitted W0's sidecar (FILE.npy.json): what was fitted from what, the
/// convergence log, and with --truth the recovery figures.
std::string fit_provenance(const FitPlan& plan, const FitOutcome& out, std::chrono::system_clock::time_point started);

}  // namespace cascade::run
