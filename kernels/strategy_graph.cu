// The graph strategy: the step strategy's kernels replayed from a CUDA graph
// of 32 steps (the launch cost amortised). `auto`'s choice for one large unit
// whose rows are long.
#include "strategy.hpp"

namespace cascade::gpu {

namespace {

class GraphStrategy : public PerStepStrategy {
 public:
  using PerStepStrategy::PerStepStrategy;
  GpuStrategy kind() const override { return GpuStrategy::kGraph; }
  bool graphed() const override { return true; }
  void one_step(const RunView& r, StepRef sref, bool advance) const override {
    enqueue_plain_step(ctx_, r, sref, advance);
  }
};

}  // namespace

StrategyEntry graph_strategy() {
  return StrategyEntry{GpuStrategy::kGraph,
                       [](const BatchFacts&) -> std::optional<std::string> { return std::nullopt; },
                       [](const BatchFacts&) { return true; },  // the last of auto's choices
                       [](const BatchFacts&, const StrategyContext& c) -> std::unique_ptr<Strategy> {
                         return std::make_unique<GraphStrategy>(c);
                       }};
}

}  // namespace cascade::gpu
