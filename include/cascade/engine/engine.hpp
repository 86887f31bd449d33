// The backend-neutral engine interface and the options and results of a run.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/raster.hpp"

namespace cascade {

class StimulusTable;
class Communicator;

/// Stimulus time meaning "stimulus off" (inspect, equilibration).
inline constexpr std::int64_t kStimulusOff = std::numeric_limits<std::int64_t>::min();

enum class Backend { kAuto, kCpu, kGpu };
Backend parse_backend(std::string_view name);
const char* backend_name(Backend b);

/// How the GPU engine lays a step out on the device (docs/gpu.md). kAuto
/// applies the rule in gpu_strategy_rule(); the others force one strategy and
/// are refused with the reason when incompatible with the batch.
enum class GpuStrategy {
  kAuto,
  kBlock,  // one thread block per (replica, network) unit runs many steps in one kernel
  kStep,   // per-step kernels (compact, scatter with atomics, fused update), plain launches
  kGraph,  // kStep's kernels replayed from a CUDA graph (launch cost amortised)
  kPull,   // per-step kernels, drive gathered over in-edges (CSC by cuSPARSE): dense activity
  kFused,  // one kernel per step, replayed from a CUDA graph: each spiking neuron's warp scatters its
           // row into the next step's accumulators (double-buffered) right after the update
  kCluster,  // one thread-block cluster (sm_90) per unit runs many steps in one kernel, the unit's
             // neurons and state spread over the cluster's blocks, drives scattered through
             // distributed shared memory
};
GpuStrategy parse_gpu_strategy(std::string_view name);
const char* gpu_strategy_name(GpuStrategy s);

struct SimulatorOptions {
  std::uint32_t replicas = 1;        // independent noise and initial state, shared weights
  std::uint32_t replica_offset = 0;  // first replica index (replica k gives the same spikes in any range)
  std::uint64_t seed = 0;
  int threads = 0;                   // CPU threads; 0 = all available
  std::uint64_t first_step = 0;      // global step of the first step (keys the random streams; < 2^40)
  Backend backend = Backend::kAuto;  // kAuto: the GPU when one is present and the build has CUDA
  GpuStrategy gpu_strategy = GpuStrategy::kAuto;
  int device = 0;                    // CUDA device ordinal (GPU backend)
  std::int64_t gpu_chunk_steps = 0;  // GPU recording: steps per device chunk (0: sized from memory)
  // Distributed runs (docs/distributed.md): the ranks that run this
  // simulation together (null: one process), and optionally the K + 1
  // boundaries of their parts in the batch's global neurons (empty:
  // balanced by synapses). Every rank constructs the same simulator.
  std::shared_ptr<Communicator> communicator;
  std::vector<std::size_t> partition;
};

/// Called with (steps done, steps total) during a run, from one thread, at
/// most about 1000 times per run plus once at the end.
using ProgressCallback = std::function<void(std::int64_t done, std::int64_t total)>;

struct RunOptions {
  std::int64_t steps = 0;                // recorded steps (>= 1)
  std::int64_t equilibration_steps = 100;  // unrecorded steps first (stimulus off)
  RecordDtype dtype = RecordDtype::kUInt8;
  bool record = true;      // false: statistics only, no raster
  bool fresh_state = true;  // true: new random initial state; false: continue from the current state
  bool stimulus = true;     // false: stimuli off for the whole run (equilibrate())
  // What to record (everything by default): global neuron indices of the
  // batch (ascending, no repeats), a window [record_begin, record_end) of the
  // recorded steps (-1: to the end), and the input g and expected rate phi(g)
  // of the recorded neurons (as float32). Unrecorded neurons cost one branch.
  std::vector<std::uint32_t> record_neurons;
  std::int64_t record_begin = 0, record_end = -1;
  bool record_input = false, record_rate = false;
  // A distributed run (docs/distributed.md): true gathers the recording's
  // rows on rank 0; false leaves each rank only the rows of its own neurons
  // (SimulationResult::rows_begin/rows_end), for front ends whose ranks each
  // write their own rows.
  bool gather_recording = true;
  std::int64_t stimulus_start = 0;  // stimulus time t of the first recorded step (>= 0); a run
                                    // continuing another passes the steps already recorded
  ProgressCallback progress;
  // Cooperative stop (e.g. set by a signal handler): checked at every step
  // boundary on the CPU (every 256 steps when small networks run one per
  // thread), at every segment boundary (at most 1/64 of the run) on the GPU. The run then returns early: RunSummary::stopped is set and
  // steps_run says how many steps were simulated; the recording holds them.
  const std::atomic<bool>* stop = nullptr;
};

/// What a run did. Counters cover every step the call simulated (equilibration
/// included) unless named "recorded".
struct RunSummary {
  std::string backend;
  int threads = 0;                      // the size of the thread team that ran
  std::uint64_t first_step = 0;         // global step number of the first simulated step
  std::int64_t equilibration_steps = 0;
  std::int64_t recorded_steps = 0;
  std::uint64_t recorded_neuron_steps = 0;  // recorded steps * neurons * replicas
  std::uint64_t recorded_spike_count = 0;   // sum of recorded counts
  std::uint64_t spiking_neuron_steps = 0;   // neuron-steps with a count > 0 whose out-edges were scattered
  std::uint64_t synaptic_events = 0;        // sum over scattered spiking neurons of their out-degree
  std::uint64_t rate_capped = 0;            // Poisson means capped at kMaxPoissonMean
  std::uint64_t counts_saturated = 0;       // counts that reached 255
  double dt = 1.0;                          // ms per step
  double mean_rate_hz = 0.0;                // recorded_spike_count / recorded_neuron_steps * 1000 / dt
  double wall_seconds = 0.0;
  bool stopped = false;                     // RunOptions::stop ended the run early
  std::int64_t steps_run = 0;               // steps simulated, equilibration included
  // Distributed runs: the number of ranks, and this rank's time in the
  // per-step exchange and the bytes it sent and received there.
  int ranks = 1;
  double exchange_seconds = 0.0;
  std::uint64_t exchange_bytes = 0;
  // GPU runs only:
  std::string gpu_strategy;           // the strategy that ran
  std::string device;                 // the device's name
  std::uint64_t device_bytes = 0;     // device memory the engine holds (state, network, recording buffers)
  double device_seconds = 0.0;        // device time of the simulated steps (CUDA events)
};

/// How long a state array is: one value per neuron slot, or a history of
/// `ring_len` (drive) or `self_len` (own counts) values per slot.
enum class StateExtent { kSlot, kRing, kSelf };

/// The five per-slot state arrays every engine keeps, in one layout shared by
/// the CPU and GPU engines (slot = replica * total neurons + global neuron;
/// histories position-major, [lag][slot]). `Array` is std::vector on the host
/// (HostArray) and a device buffer in the CUDA engine; for_each_array visits
/// the arrays in one fixed order with their names and extents, so saving,
/// loading, clearing, copying and checking a state is written once.
template <template <class> class Array>
struct StateArrays {
  Array<double> S;                 // filtered drive / activation drive
  Array<std::int64_t> acc;         // exact drive accumulated by the scatter
  Array<std::int64_t> ring;        // drive history (truncated exp) or future drive (per-edge)
  Array<std::uint8_t> xhist;       // own count history (self filter)
  Array<std::uint8_t> xlast;       // counts emitted at the previous step

  /// f(array, name, extent) for each array, in the order above.
  template <class Self, class F>
  static void for_each_array(Self& s, F&& f) {
    f(s.S, "the filtered drive", StateExtent::kSlot);
    f(s.acc, "the accumulators", StateExtent::kSlot);
    f(s.ring, "the drive history", StateExtent::kRing);
    f(s.xhist, "the count history", StateExtent::kSelf);
    f(s.xlast, "the last counts", StateExtent::kSlot);
  }
  /// f(a's array, b's array, name, extent) for each pair of matching arrays.
  template <class A, class B, class F>
  static void for_each_pair(A& a, B& b, F&& f) {
    f(a.S, b.S, "the filtered drive", StateExtent::kSlot);
    f(a.acc, b.acc, "the accumulators", StateExtent::kSlot);
    f(a.ring, b.ring, "the drive history", StateExtent::kRing);
    f(a.xhist, b.xhist, "the count history", StateExtent::kSelf);
    f(a.xlast, b.xlast, "the last counts", StateExtent::kSlot);
  }
};

template <class T>
using HostArray = std::vector<T>;

/// The complete state of an engine between two steps: what a checkpoint
/// holds. A state saved by one backend loads into the other.
struct EngineState : StateArrays<HostArray> {
  std::uint64_t step = 0;     // global step of the next step
  bool advance = true;        // false: the next step reads a freshly set activation as given
};

/// Where a run records (owned by the caller): counts in `raster`
/// [replicas, recorded neurons, window], g and phi(g) in `input` / `rate`
/// (same layout, may be null). `index[global neuron]` is its recorded index
/// or -1 (null: every neuron, index = global).
struct RecordTarget {
  Raster* raster = nullptr;
  float* input = nullptr;
  float* rate = nullptr;
  const std::int32_t* index = nullptr;
  std::size_t neurons = 0;       // recorded neurons
  std::int64_t begin = 0, end = 0;  // window within the recorded steps
};

/// One simulation engine (a backend instantiated for one model). Owned by a
/// Simulator; several may exist at once (no global state).
class Engine {
 public:
  virtual ~Engine() = default;
  /// Runs equilibration then recording; writes counts into `raster` when given.
  virtual RunSummary run(const RunOptions& options, const RecordTarget* target) = 0;
  /// Draws a fresh random initial state at the current global step.
  virtual void reset_random_state() = 0;
  /// Initial state from given counts in the newest history slot (spike-history
  /// models), [replicas * total neurons].
  virtual void set_initial_spikes(std::span<const std::uint8_t> counts) = 0;
  /// Initial activation s_j (activation models), [replicas * total neurons].
  virtual void set_initial_activation(std::span<const double> activation) = 0;
  /// g and phi(g) every neuron would see at the next step, without advancing,
  /// with the stimuli at time `stimulus_time` (kStimulusOff: none).
  virtual void inspect(std::vector<double>* input, std::vector<double>* rate,
                       std::int64_t stimulus_time = kStimulusOff) const = 0;
  /// Replaces the stimuli (null or empty: none). Takes effect at the next step.
  virtual void set_stimulus(std::shared_ptr<const StimulusTable> table) = 0;
  /// The state between steps (checkpoints), and restoring it.
  virtual EngineState save_state() const = 0;
  virtual void load_state(const EngineState& state) = 0;
  virtual std::uint64_t current_step() const = 0;
  virtual std::string backend_name() const = 0;
  virtual double dt() const = 0;
};

}  // namespace cascade
