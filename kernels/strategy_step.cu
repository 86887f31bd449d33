// The step strategy (per-step kernels, plain launches: the scatter of the
// previous step's spikes, then the fused update), and what every per-step
// strategy shares: one plain step, the walk over a run's steps and its graph.
#include <algorithm>

#include "strategy.hpp"

namespace cascade::gpu {

int step_grid(std::uint64_t items, int sms) {
  const std::uint64_t want = (items + kStepThreads - 1) / kStepThreads;
  const std::uint64_t cap = static_cast<std::uint64_t>(sms) * 16;
  return static_cast<int>(std::max<std::uint64_t>(1, std::min(want, cap)));
}

void enqueue_scatter(const StrategyContext& c, const EngineView& v, const RunView& r, StepRef sref) {
  if (c.scatter_by_block) launch_scatter(v, r, sref, true, step_grid(c.slots * kStepThreads, c.sms), c.stream);
  else launch_scatter(v, r, sref, false, step_grid(c.slots * 32, c.sms), c.stream);
}

void enqueue_plain_step(const StrategyContext& c, const RunView& r, StepRef sref, bool advance) {
  if (advance) enqueue_scatter(c, c.dev->view, r, sref);
  c.kernels->update(c.dev->view, r, sref, advance ? 1 : 0, step_grid(c.slots, c.sms), c.stream);
}

void PerStepStrategy::begin(const RunView& r, std::uint64_t, bool, bool graphs) {
  if (!graphed() || !graphs) return;
  // A graph of kGraphSteps steps whose step numbers come from the device step
  // base, which its last node advances: one capture serves the whole run.
  const cudaStream_t s = ctx_.stream;
  cudaGraph_t g = nullptr;
  CASCADE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  try {
    for (int k = 0; k < kGraphSteps; ++k)
      one_step(r, StepRef{ctx_.dev->step_base.get(), static_cast<std::uint64_t>(k)}, true);
    launch_advance_base(ctx_.dev->step_base.get(), kGraphSteps, s);
  } catch (...) {
    cudaStreamEndCapture(s, &g);
    if (g) cudaGraphDestroy(g);
    throw;
  }
  CASCADE_CUDA_CHECK(cudaStreamEndCapture(s, &g));
  graph_.adopt(g);
}

void PerStepStrategy::enqueue(const RunView& r, std::uint64_t first, std::int64_t n, bool advance_first,
                              bool graphs) const {
  if (n <= 0) return;
  std::int64_t k = 0;
  if (!advance_first) {
    one_step(r, StepRef{nullptr, first}, false);
    k = 1;
  }
  if (graphed() && graphs && n - k >= kGraphSteps) {
    launch_set_base(ctx_.dev->step_base.get(), first + static_cast<std::uint64_t>(k), ctx_.stream);
    for (; n - k >= kGraphSteps; k += kGraphSteps) CASCADE_CUDA_CHECK(cudaGraphLaunch(graph_.get(), ctx_.stream));
  }
  for (; k < n; ++k) one_step(r, StepRef{nullptr, first + static_cast<std::uint64_t>(k)}, true);
}

namespace {

class StepStrategy : public PerStepStrategy {
 public:
  using PerStepStrategy::PerStepStrategy;
  GpuStrategy kind() const override { return GpuStrategy::kStep; }
  void one_step(const RunView& r, StepRef sref, bool advance) const override {
    enqueue_plain_step(ctx_, r, sref, advance);
  }
};

}  // namespace

StrategyEntry step_strategy() {
  return StrategyEntry{GpuStrategy::kStep, [](const BatchFacts&) -> std::optional<std::string> { return std::nullopt; },
                       nullptr,
                       [](const BatchFacts&, const StrategyContext& c) -> std::unique_ptr<Strategy> {
                         return std::make_unique<StepStrategy>(c);
                       }};
}

}  // namespace cascade::gpu
