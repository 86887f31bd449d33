// How the GPU engine lays steps out on the device: one interface, one file a
// strategy (strategy_block.cu, strategy_step.cu, strategy_graph.cu,
// strategy_pull.cu, strategy_fused.cu, strategy_cluster.cu; docs/gpu.md).
// Each says whether it can run a batch and, if not, why; plans its launch
// sizes; adds the device memory it alone needs; enqueues a run's steps; and
// has hooks around a run. strategy_select.cu holds the table of them and the
// `auto` rule, which walks them in order of preference.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cascade/engine/engine.hpp"
#include "cascade/extend/engine_layer.hpp"
#include "cascade/extend/gpu/cuda_util.hpp"
#include "device_state.hpp"
#include "cascade/extend/gpu/model_kernels.cuh"

namespace cascade::gpu {

/// What a strategy decides from: the batch, its shape and the device.
struct BatchFacts {
  bool per_edge = false;
  std::size_t max_neurons = 0, ring_len = 0, self_len = 0, units = 0, total_neurons = 0, slots = 0;
  std::uint64_t edges = 0, max_synapses = 0;
  std::int64_t row_entries = 0;
  int sms = 1, cc_major = 0, cc_minor = 0;
  std::size_t smem_limit = 0;  // dynamic shared memory a block may take
  std::string device;
};

/// What a strategy runs with (owned by the engine, alive as long as it is).
struct StrategyContext {
  DeviceState* dev = nullptr;
  const ModelKernels* kernels = nullptr;
  cudaStream_t stream = nullptr;
  const engine::Networks* nets = nullptr;
  int sms = 1;
  std::size_t slots = 0;
  bool scatter_by_block = false;  // rows of a hundred edges or more: a block per spiking slot, else a warp
};

/// Grid of the per-step kernels: enough blocks to fill the device, fixed so a
/// captured graph stays valid whatever the activity.
int step_grid(std::uint64_t items, int sms);

class Strategy {
 public:
  explicit Strategy(const StrategyContext& c) : ctx_(c) {}
  virtual ~Strategy() = default;
  virtual GpuStrategy kind() const = 0;
  /// The device state it runs on (made after the memory check, which asks
  /// the strategy what it adds).
  void attach(DeviceState* dev) { ctx_.dev = dev; }
  const StrategyContext& context() const { return ctx_; }
  /// Device bytes it needs beyond the shared state: per slot, and for the networks.
  virtual std::uint64_t extra_bytes_per_slot() const { return 0; }
  virtual std::uint64_t extra_network_bytes(const BatchFacts&) const { return 0; }
  /// Allocates what only it needs, once the networks are on the device.
  virtual void allocate() {}
  /// The spike lists it reads: one per unit (block) or one for the batch.
  virtual bool per_unit_lists() const { return false; }
  /// Before a run's or an epoch's steps, once the lists are rebuilt: `step`
  /// is the first step, `advance` whether it folds the pending spikes,
  /// `graphs` whether CUDA graphs may be used (not in tune's epochs).
  virtual void begin(const RunView& /*r*/, std::uint64_t /*step*/, bool /*advance*/, bool /*graphs*/) {}
  /// Enqueues steps [first, first + n) of the run on the engine's stream.
  virtual void enqueue(const RunView& r, std::uint64_t first, std::int64_t n, bool advance_first, bool graphs) const = 0;
  /// After a run or an epoch (also one that failed: `failing`, then nothing
  /// may throw): between runs the pending spikes live in xlast.
  virtual void end(bool /*failing*/) const {}

 protected:
  StrategyContext ctx_;
};

/// The strategies of one step after another (step, graph, pull, fused):
/// enqueue walks the steps, replaying a CUDA graph of kGraphSteps steps where
/// the strategy is graphed.
class PerStepStrategy : public Strategy {
 public:
  using Strategy::Strategy;
  static constexpr int kGraphSteps = 32;
  void begin(const RunView& r, std::uint64_t step, bool advance, bool graphs) override;
  void enqueue(const RunView& r, std::uint64_t first, std::int64_t n, bool advance_first, bool graphs) const override;
  /// One step's kernels (a graph captures kGraphSteps of them).
  virtual void one_step(const RunView& r, StepRef sref, bool advance) const = 0;
  /// Replayed from a CUDA graph (graph, fused).
  virtual bool graphed() const { return false; }

 protected:
  mutable cuda::GraphExec graph_;
};

/// One plain step: the scatter of the previous step's spikes (a warp or a
/// block per spiking slot) and the update (the step strategy's step; inspect's).
void enqueue_plain_step(const StrategyContext& c, const RunView& r, StepRef sref, bool advance);
/// The scatter alone, into `v`'s accumulators.
void enqueue_scatter(const StrategyContext& c, const EngineView& v, const RunView& r, StepRef sref);

/// The strategy `requested` for a batch: forced (refused with the reason when
/// it cannot run this batch) or by the `auto` rule.
std::unique_ptr<Strategy> make_strategy(GpuStrategy requested, const BatchFacts& f, const StrategyContext& c);

// One entry per strategy file: can it run (null: yes; else why not), is it
// the `auto` rule's choice for the batch, and making it.
struct StrategyEntry {
  GpuStrategy kind;
  std::optional<std::string> (*why_not)(const BatchFacts&);
  bool (*preferred)(const BatchFacts&);  // null: never chosen by `auto`
  std::unique_ptr<Strategy> (*make)(const BatchFacts&, const StrategyContext&);
};
StrategyEntry block_strategy();
StrategyEntry step_strategy();
StrategyEntry graph_strategy();
StrategyEntry pull_strategy();
StrategyEntry fused_strategy();
StrategyEntry cluster_strategy();

}  // namespace cascade::gpu
