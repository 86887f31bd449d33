// The fused strategy: one kernel per step, replayed from a CUDA graph; each
// spiking neuron's warp scatters its row into the next step's accumulators
// (double-buffered: step s reads acc or acc_next by its parity) right after
// the update. `auto`'s choice while rows are short.
#include "strategy.hpp"

namespace cascade::gpu {

namespace {

class FusedStrategy : public PerStepStrategy {
 public:
  using PerStepStrategy::PerStepStrategy;
  GpuStrategy kind() const override { return GpuStrategy::kFused; }
  bool graphed() const override { return true; }
  std::uint64_t extra_bytes_per_slot() const override { return 8; }  // the second accumulator buffer

  void allocate() override {
    ctx_.dev->acc_next.resize(ctx_.slots);
    ctx_.dev->view.acc_next = ctx_.dev->acc_next.get();
  }

  void one_step(const RunView& r, StepRef sref, bool advance) const override {
    ctx_.kernels->fused(ctx_.dev->view, r, sref, advance ? 1 : 0, step_grid(ctx_.slots, ctx_.sms), ctx_.stream);
  }

  /// The fused kernel scatters a step's spikes into the next step's buffer;
  /// the pending spikes (xlast) are scattered here, into the buffer of the
  /// run's first step.
  void begin(const RunView& r, std::uint64_t step, bool advance, bool graphs) override {
    DeviceState& d = *ctx_.dev;
    d.acc_next.zero(ctx_.stream);
    if (advance) {
      EngineView v = d.view;
      v.acc = (step & 1u) ? d.acc_next.get() : d.state.acc.get();
      enqueue_scatter(ctx_, v, r, StepRef{nullptr, step});
    }
    PerStepStrategy::begin(r, step, advance, graphs);
  }

  /// Between runs the pending spikes live in xlast, as on the CPU: drop the
  /// drive already scattered for the next step (the next run scatters it again).
  void end(bool failing) const override {
    DeviceState& d = *ctx_.dev;
    if (failing) {
      cudaMemsetAsync(d.state.acc.get(), 0, d.state.acc.bytes(), ctx_.stream);
      cudaMemsetAsync(d.acc_next.get(), 0, d.acc_next.bytes(), ctx_.stream);
      return;
    }
    d.state.acc.zero(ctx_.stream);
    d.acc_next.zero(ctx_.stream);
  }
};

}  // namespace

StrategyEntry fused_strategy() {
  return StrategyEntry{
      GpuStrategy::kFused,
      [](const BatchFacts& f) -> std::optional<std::string> {
        if (f.per_edge)
          return std::string("gpu strategy 'fused': per-edge filter networks are scattered into a future-drive ring; "
                             "use block, step, graph or auto");
        return std::nullopt;
      },
      // Measured on an H200 (bench/results/gpu-h200-2026-11-26): faster than
      // the graph of two kernels while the mean out-degree is <= 1024.
      [](const BatchFacts& f) { return f.edges <= 1024 * f.total_neurons; },
      [](const BatchFacts&, const StrategyContext& c) -> std::unique_ptr<Strategy> {
        return std::make_unique<FusedStrategy>(c);
      }};
}

}  // namespace cascade::gpu
