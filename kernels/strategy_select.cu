// The strategies side by side and the `auto` rule: the first strategy, in
// order of preference, that can run the batch and prefers it (docs/gpu.md).
#include "strategy.hpp"

namespace cascade::gpu {

namespace {

/// Every strategy, `auto`'s candidates in its order of preference first.
std::vector<StrategyEntry> table() {
  return {block_strategy(), fused_strategy(), graph_strategy(), step_strategy(), pull_strategy(), cluster_strategy()};
}

}  // namespace

std::unique_ptr<Strategy> make_strategy(GpuStrategy requested, const BatchFacts& f, const StrategyContext& c) {
  for (const StrategyEntry& e : table()) {
    if (requested == GpuStrategy::kAuto) {
      if (e.preferred && !e.why_not(f) && e.preferred(f)) return e.make(f, c);
    } else if (e.kind == requested) {
      if (const auto why = e.why_not(f)) throw Error(*why);
      return e.make(f, c);
    }
  }
  throw Error(std::string("gpu strategy '") + gpu_strategy_name(requested) + "': not available");
}

}  // namespace cascade::gpu
