// The CPU engine's work layout: tasks (blocks of a unit's neurons) and the
// thread count (engine/cpu_engine.hpp).
#include <algorithm>

#include "cascade/extend/cpu_engine.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace cascade {

int resolve_thread_count(int requested) {
  if (requested < 0) throw Error("threads: " + std::to_string(requested) + " is invalid; expected >= 0 (0 = all cores)");
#if defined(_OPENMP)
  return requested == 0 ? omp_get_max_threads() : requested;
#else
  return 1;
#endif
}

CpuLayout make_cpu_layout(const engine::Networks& nets, const SimulatorOptions& opt) {
  CpuLayout L;
  static_cast<engine::BatchLayout&>(L) = engine::make_batch_layout(nets, opt);
  L.threads = resolve_thread_count(opt.threads);
  // Enough tasks to balance the team when units are few; blocks of at most
  // 64k neurons keep a task's targets in cache; at least 256 neurons a block.
  const std::size_t want = (4 * static_cast<std::size_t>(L.threads) + L.units.size() - 1) / L.units.size();
  for (std::uint32_t u = 0; u < L.units.size(); ++u) {
    const std::size_t N = nets[L.units[u].net]->n_neurons();
    std::size_t blocks = std::min(want, (N + 255) / 256);
    blocks = std::max<std::size_t>({blocks, 1, (N + 65535) / 65536});
    L.unit_first_task.push_back(L.tasks.size());
    for (std::size_t b = 0; b < blocks; ++b) {
      const auto lo = static_cast<std::int32_t>(N * b / blocks);
      const auto hi = static_cast<std::int32_t>(N * (b + 1) / blocks);
      L.tasks.push_back({u, lo, hi});
    }
  }
  L.unit_first_task.push_back(L.tasks.size());
  return L;
}

}  // namespace cascade
