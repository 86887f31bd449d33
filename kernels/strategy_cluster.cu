// The cluster strategy (sm_90): one thread-block cluster per unit runs many
// steps in one kernel, the unit's neurons and state spread over the
// cluster's blocks, drives scattered through distributed shared memory. Not
// in the `auto` rule: measured slower than it except at ~1000 neurons
// (docs/gpu.md).
#include <algorithm>

#include "strategy.hpp"

namespace cascade::gpu {

namespace {

std::size_t share(const BatchFacts& f, std::uint32_t c) {
  return BlockSmem::layout((f.max_neurons + c - 1) / c, f.ring_len, f.self_len, true).bytes;
}

/// The smallest cluster that gives each block at most 256 neurons (one
/// neuron a thread), more while a block's share of the state does not fit.
std::uint32_t cluster_size(const BatchFacts& f) {
  std::uint32_t C = 2;
  while (C < kMaxCluster && (f.max_neurons + C - 1) / C > 256) C *= 2;
  while (C < kMaxCluster && share(f, C) > f.smem_limit) C *= 2;
  return C;
}

class ClusterStrategy : public Strategy {
 public:
  ClusterStrategy(const BatchFacts& f, const StrategyContext& c)
      : Strategy(c), size_(cluster_size(f)), slice_(static_cast<std::uint32_t>((f.max_neurons + size_ - 1) / size_)),
        smem_(share(f, size_)),
        threads_(static_cast<int>(
            std::min<std::uint32_t>(kClusterThreads, std::max<std::uint32_t>(32, (slice_ + 31) / 32 * 32)))) {}
  GpuStrategy kind() const override { return GpuStrategy::kCluster; }
  void enqueue(const RunView& r, std::uint64_t first, std::int64_t n, bool advance_first, bool) const override {
    if (n <= 0) return;
    ctx_.kernels->cluster(ctx_.dev->view, r, first, n, advance_first ? 1 : 0, threads_, smem_, size_, slice_,
                          ctx_.stream);
  }

 private:
  std::uint32_t size_, slice_;  // blocks per unit, neurons per block
  std::size_t smem_;
  int threads_;
};

}  // namespace

StrategyEntry cluster_strategy() {
  return StrategyEntry{
      GpuStrategy::kCluster,
      [](const BatchFacts& f) -> std::optional<std::string> {
        if (f.per_edge)
          return std::string("gpu strategy 'cluster': per-edge filter networks are scattered into a future-drive "
                             "ring; use block, step, graph or auto");
        if (f.cc_major < 9)
          return "gpu strategy 'cluster': thread-block clusters need compute capability 9.0 or newer; " + f.device +
                 " is " + std::to_string(f.cc_major) + "." + std::to_string(f.cc_minor) +
                 "; use block, step, graph, fused or auto";
        const std::uint32_t C = cluster_size(f);
        if (share(f, C) > f.smem_limit)
          return "gpu strategy 'cluster': a network of " + std::to_string(f.max_neurons) + " neurons needs " +
                 std::to_string(share(f, C)) + " bytes of shared memory per block even spread over " +
                 std::to_string(kMaxCluster) + " blocks (" + f.device + " has " + std::to_string(f.smem_limit) +
                 "); use graph, fused or auto";
        return std::nullopt;
      },
      nullptr,
      [](const BatchFacts& f, const StrategyContext& c) -> std::unique_ptr<Strategy> {
        return std::make_unique<ClusterStrategy>(f, c);
      }};
}

}  // namespace cascade::gpu
