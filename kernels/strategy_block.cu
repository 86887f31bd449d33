// The block strategy: one thread block per (replica, network) unit runs many
// steps in one kernel, the unit's accumulators and spike lists (and, where
// they fit, its whole state) in shared memory. `auto`'s choice for small
// units and for many units whose state fits.
#include <algorithm>

#include "strategy.hpp"

namespace cascade::gpu {

namespace {

bool state_fits(const BatchFacts& f) {
  return BlockSmem::layout(f.max_neurons, f.ring_len, f.self_len, true).bytes <= f.smem_limit;
}

class BlockStrategy : public Strategy {
 public:
  BlockStrategy(const BatchFacts& f, const StrategyContext& c)
      : Strategy(c), state_(state_fits(f)),
        smem_(BlockSmem::layout(f.max_neurons, f.ring_len, f.self_len, state_).bytes),
        threads_(static_cast<int>(
            std::min<std::size_t>(kBlockMaxThreads, std::max<std::size_t>(32, (f.max_neurons + 31) / 32 * 32)))),
        max_n_(static_cast<std::uint32_t>(f.max_neurons)) {}
  GpuStrategy kind() const override { return GpuStrategy::kBlock; }
  bool per_unit_lists() const override { return true; }
  void enqueue(const RunView& r, std::uint64_t first, std::int64_t n, bool advance_first, bool) const override {
    if (n <= 0) return;
    ctx_.kernels->block(ctx_.dev->view, r, first, n, advance_first ? 1 : 0, threads_, smem_, state_, max_n_,
                        ctx_.stream);
  }

 private:
  bool state_;        // the whole unit state lives in shared memory
  std::size_t smem_;  // dynamic shared memory per block
  int threads_;
  std::uint32_t max_n_;
};

}  // namespace

StrategyEntry block_strategy() {
  return StrategyEntry{
      GpuStrategy::kBlock,
      [](const BatchFacts& f) -> std::optional<std::string> {
        if (BlockSmem::layout(f.max_neurons, 0, 0, false).bytes <= f.smem_limit) return std::nullopt;
        return "gpu strategy 'block': a network has " + std::to_string(f.max_neurons) +
               " neurons, but the block strategy keeps one unit's accumulators and spike lists in shared memory, at "
               "most " + std::to_string(f.smem_limit / 18) + " neurons on " + f.device + "; use step, graph or auto";
      },
      // Measured on an H200 (bench/results/gpu-h200-2026-11-26): one block per
      // unit wins for small units (<= 2^17 synapses) and for many units whose
      // state fits in shared memory; one large unit is faster spread over the device.
      [](const BatchFacts& f) {
        return f.max_synapses <= (std::uint64_t{1} << 17) ||
               (f.units >= static_cast<std::size_t>(f.sms) / 4 && state_fits(f));
      },
      [](const BatchFacts& f, const StrategyContext& c) -> std::unique_ptr<Strategy> {
        return std::make_unique<BlockStrategy>(f, c);
      }};
}

}  // namespace cascade::gpu
