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

CpuLayout make_cpu_layout(const engine::Networks& nets, const SimulatorOptions& opt, const engine::Partition& part) {
  CpuLayout L;
  static_cast<engine::BatchLayout&>(L) = engine::make_batch_layout(nets, opt);
  L.threads = resolve_thread_count(opt.threads);
  // Enough tasks to balance the team when units are few; blocks of at most
  // 64k neurons keep a task's targets in cache; at least 256 neurons a block.
  const std::size_t want = (4 * static_cast<std::size_t>(L.threads) + L.units.size() - 1) / L.units.size();
  for (std::uint32_t u = 0; u < L.units.size(); ++u) {
    // The unit's neurons this rank owns (all of them in one process).
    const std::size_t off = L.net_offset[L.units[u].net], N = nets[L.units[u].net]->n_neurons();
    const std::size_t own_lo = std::clamp(part.lo(), off, off + N) - off, own_hi = std::clamp(part.hi(), off, off + N) - off;
    const std::size_t own = own_hi - own_lo;
    L.unit_first_task.push_back(L.tasks.size());
    if (own == 0) continue;
    std::size_t blocks = std::min(want, (own + 255) / 256);
    blocks = std::max<std::size_t>({blocks, 1, (own + 65535) / 65536});
    for (std::size_t b = 0; b < blocks; ++b) {
      const auto lo = static_cast<std::int32_t>(own_lo + own * b / blocks);
      const auto hi = static_cast<std::int32_t>(own_lo + own * (b + 1) / blocks);
      L.tasks.push_back({u, lo, hi});
    }
    L.own_slots += own;
  }
  L.unit_first_task.push_back(L.tasks.size());
  return L;
}

}  // namespace cascade
