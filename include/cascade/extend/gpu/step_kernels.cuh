// The GPU engine's kernels. Every strategy runs the same per-neuron code
// (neuron_step below, which calls the shared NeuronUpdate of
// engine/neuron_update.hpp), so all of them give the CPU engine's spikes bit
// for bit: drives are exact int64 sums (atomics commute), random draws are
// counter-based, and the floating-point expressions are compiled without
// contraction (--fmad=false).
#pragma once
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "device_view.hpp"

namespace cascade::gpu {

inline constexpr unsigned kFullMask = 0xffffffffu;
inline constexpr unsigned long long kNoBad = ~0ull;
inline constexpr int kBlockMaxThreads = 512;  // block strategy: threads per unit (register budget 128)
inline constexpr int kStepThreads = 256;      // per-step kernels
inline constexpr std::uint32_t kMaxCluster = 16;  // cluster strategy: blocks per unit at most (non-portable above 8)
inline constexpr int kClusterThreads = 256;       // cluster strategy: threads per block at most (no register spills)

__device__ __forceinline__ void atomic_add_i64(std::int64_t* p, std::int64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}

/// True when a non-finite rate appeared at an earlier step of this run: the
/// steps after it do nothing, so the first one stays the one reported.
__device__ __forceinline__ bool stopped_before(const BadRecord* bad, std::uint64_t rel_step) {
  const unsigned long long key = *reinterpret_cast<const volatile unsigned long long*>(&bad->key);
  return key != kNoBad && rel_step > (key >> 32);
}

__device__ inline void report_bad(BadRecord* bad, std::uint64_t rel_step, std::uint64_t slot, double g, double rate) {
  const unsigned long long key = (static_cast<unsigned long long>(rel_step) << 32) | slot;
  // Rare path: a lock keeps key, g and rate of the smallest key together.
  while (atomicCAS(&bad->lock, 0, 1) != 0) {
  }
  __threadfence();
  if (key < bad->key) {
    bad->key = key;
    bad->g = g;
    bad->rate = rate;
  }
  __threadfence();
  atomicExch(&bad->lock, 0);
}

struct SlotCounters {
  unsigned long long events = 0, scattered = 0, recorded = 0, capped = 0, saturated = 0;
};

/// Where one slot's state lives: global memory (stride = slots) or a block's
/// shared-memory copy of its unit (stride = the unit's neurons).
struct SlotState {
  double* S;
  std::int64_t* acc;
  std::int64_t* ring;
  std::uint8_t* xhist;
  std::uint8_t* xlast;
  std::size_t stride;
};

__device__ __forceinline__ SlotState global_state(const EngineView& v, std::uint64_t slot) {
  return SlotState{v.S + slot, v.acc + slot, v.ring_len ? v.ring + slot : nullptr, v.self_len ? v.xhist + slot : nullptr,
                   v.xlast + slot, static_cast<std::size_t>(v.slots)};
}

/// One neuron-step of slot `slot` (local neuron i of unit u) at global step
/// `step`: the CPU engine's run_task body B. ring_pos = step mod ring length,
/// self_pos = step mod self-filter length. Returns the emitted count; sets
/// `bad` when the rate was non-finite (reported to v.bad).
template <class Model>
__device__ std::uint32_t neuron_step(const Model& model, const EngineView& v, const RunView& r, std::uint64_t slot,
                                     const DevUnit& u, const DevNet& net, std::uint32_t i, std::uint64_t step,
                                     const double* tv, bool advance, const SlotState& st, std::size_t ring_pos,
                                     std::size_t self_pos, SlotCounters& c, bool& bad) {
  const std::uint8_t xprev = *st.xlast;
  if (advance && xprev) {  // its previous-step spike was scattered this step (CPU: counted at scatter)
    const std::int64_t* rp = v.row_ptr + net.row_base;
    c.events += static_cast<unsigned long long>(__ldg(rp + i + 1) - __ldg(rp + i));
    c.scattered += 1;
  }
  NeuronState ns{st.S, st.acc, st.ring, st.xhist, st.stride, xprev};
  const NeuronStream rng{v.seed, step, net.instance, u.replica, i};
  const bool in_window = step >= r.record_from;
  const std::int64_t rec_step = in_window ? static_cast<std::int64_t>(step - r.record_from) : -1;
  double stimulus = 0.0;
  if (in_window && r.stimulus_on && v.stim.count) {
    const std::int64_t t = r.stimulus_start + rec_step;
    stimulus = stimulus_input(v.stim, tv, u.net, net.n, i, static_cast<std::size_t>(net.global0) + i, t);
  }
  NeuronUpdate<Model> upd{model, v.consts, v.self_filter, net.scale};
  const bool tap = r.tap.g != nullptr;
  const std::int64_t y_in = tap && advance && !v.per_edge ? *st.acc : 0;  // the drive this step folds
  const StepResult res = v.per_edge ? upd.step_per_edge(ns, ring_pos, stimulus, rng)
                                    : upd.step(ns, ring_pos, self_pos, stimulus, rng, advance);
  const std::uint32_t count = res.emission.count;
  if (tap) r.tap.put(step, slot, res.g, *st.S, static_cast<double>(y_in) * net.scale, xprev, count);
  if (r.inspect_g) {
    r.inspect_g[slot] = res.g;
    r.inspect_rate[slot] = res.rate;
  }
  *st.xlast = static_cast<std::uint8_t>(count);
  if (res.emission.flags) {
    if (res.emission.flags & kEmitRateCapped) c.capped += 1;
    if (res.emission.flags & kEmitSaturated) c.saturated += 1;
    if ((res.emission.flags & kEmitNonFinite) && !r.inspect_g) {
      report_bad(v.bad, step - r.run_first_step, slot, res.g, res.rate);
      bad = true;
    }
  }
  if (in_window) {
    c.recorded += count;
    if (r.record && rec_step >= r.begin && rec_step < r.end) {
      const std::int64_t global = net.global0 + i;
      const std::int32_t idx = r.index ? r.index[global] : static_cast<std::int32_t>(global);
      if (idx >= 0) {
        const std::uint64_t row = static_cast<std::uint64_t>((rec_step - r.begin) % r.rows);
        const std::uint64_t at = row * r.row_len + (u.replica - r.replica_offset) * r.rec_neurons + idx;
        r.counts[at] = static_cast<std::uint8_t>(count);
        if (r.g) r.g[at] = static_cast<float>(res.g);
        if (r.rate) r.rate[at] = static_cast<float>(res.rate);
      }
    }
  }
  return count;
}

/// This step's time-only stimulus values, one per stimulus, into shared memory
/// (threads 0..count-1 each evaluate one). Caller synchronises.
__device__ __forceinline__ void load_stimulus_values(const EngineView& v, const RunView& r, std::uint64_t step,
                                                     double* tv) {
  if (step < r.record_from || !r.stimulus_on) return;
  const std::int64_t t = r.stimulus_start + static_cast<std::int64_t>(step - r.record_from);
  for (std::uint32_t k = threadIdx.x; k < v.stim.count; k += blockDim.x)
    tv[k] = stimulus_time_value(v.stim.params[k], v.stim.events, t);
}

__device__ __forceinline__ unsigned long long warp_sum(unsigned long long x) {
  for (int o = 16; o > 0; o >>= 1) x += __shfl_down_sync(kFullMask, x, o);
  return x;
}

/// Adds a thread's counters into the device totals (whole warps call this).
__device__ __forceinline__ void flush_counters(DevCounters* d, const SlotCounters& c) {
  const unsigned long long e = warp_sum(c.events), s = warp_sum(c.scattered), r = warp_sum(c.recorded),
                           cap = warp_sum(c.capped), sat = warp_sum(c.saturated);
  if ((threadIdx.x & 31) == 0) {
    if (e) atomicAdd(&d->events, e);
    if (s) atomicAdd(&d->scattered, s);
    if (r) atomicAdd(&d->recorded_spikes, r);
    if (cap) atomicAdd(&d->capped, cap);
    if (sat) atomicAdd(&d->saturated, sat);
  }
}

/// The step number of a per-step kernel: from device memory when replayed
/// from a graph (base != null), else given.
struct StepRef {
  const std::uint64_t* base;
  std::uint64_t offset;
  __device__ __forceinline__ std::uint64_t get() const { return (base ? *base : 0ull) + offset; }
};

// ---------------------------------------------------------------- per step

// Launch wrappers of the model-independent kernels (gpu_kernels.cu); each
// takes the engine's stream.

/// Scatter (push): one warp per spiking slot of the previous step, lanes over
/// its out-edges, int64 atomics into the targets' accumulators (or, for
/// per-edge filters, into the future-drive ring).
/// `by_block`: a whole block per spiking slot (long rows) instead of a warp.
void launch_scatter(const EngineView& v, const RunView& r, StepRef sref, bool by_block, int blocks, cudaStream_t s);

/// Pull: one warp per target slot sums its in-edges over the previous step's
/// counts (dense activity: no atomics, reads every in-edge).
void launch_pull(const EngineView& v, const RunView& r, StepRef sref, int blocks, cudaStream_t s);

/// Adds `by` to the graph's device step base (the last node of a replay).
void launch_advance_base(std::uint64_t* base, std::uint64_t by, cudaStream_t s);
/// Sets the device step base.
void launch_set_base(std::uint64_t* base, std::uint64_t value, cudaStream_t s);

/// Rebuilds the spike lists of parity `cur` from xlast (the previous step's
/// counts): one global list, or one list per unit. Lengths must be zero.
void launch_build_lists(const EngineView& v, int cur, bool per_unit, cudaStream_t s);

/// Random initial state at global step `step`: 0/1 spikes into xlast, or, when
/// `activation` is given, a U(0,1) activation per slot into it.
void launch_initial_state(const EngineView& v, std::uint64_t step, double* activation, cudaStream_t s);

/// Activation drive (design.md section 2): acc[target] += quantise_product(q,
/// s_j) over every edge, then S = acc * scale and acc = 0.
void launch_load_activation(const EngineView& v, const double* activation, cudaStream_t s);

/// The fused per-neuron update of one step over all slots, appending the
/// spiking slots to the next list (warp-aggregated).
template <class Model>
__global__ void __launch_bounds__(kStepThreads) update_kernel(Model model, EngineView v, RunView r, StepRef sref, int advance) {
  __shared__ double tv[kMaxStimuli];
  const std::uint64_t step = sref.get();
  const std::uint64_t rel = step - r.run_first_step;
  if (stopped_before(v.bad, rel)) return;
  const int cur = static_cast<int>(step & 1u), nxt = cur ^ 1;
  if (blockIdx.x == 0 && threadIdx.x == 0) v.list_len[cur] = 0;  // consumed by this step's scatter
  load_stimulus_values(v, r, step, tv);
  __syncthreads();
  SlotCounters c;
  bool bad = false;
  const unsigned lane = threadIdx.x & 31u;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  const std::size_t ring_pos = v.ring_len ? static_cast<std::size_t>(step % v.ring_len) : 0;
  const std::size_t self_pos = v.self_len ? static_cast<std::size_t>(step % v.self_len) : 0;
  for (std::uint64_t base = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x; base < v.slots; base += stride) {
    const std::uint64_t slot = base + threadIdx.x;
    std::uint32_t count = 0;
    if (slot < v.slots) {
      const DevUnit u = v.units[v.slot_unit[slot]];
      const DevNet net = v.nets[u.net];
      const auto i = static_cast<std::uint32_t>(slot - static_cast<std::uint64_t>(u.slot_base));
      count = neuron_step(model, v, r, slot, u, net, i, step, tv, advance != 0, global_state(v, slot), ring_pos,
                          self_pos, c, bad);
    }
    const unsigned mask = __ballot_sync(kFullMask, count != 0);
    if (mask) {
      const int leader = __ffs(mask) - 1;
      std::uint32_t first = 0;
      if (static_cast<int>(lane) == leader) first = atomicAdd(&v.list_len[nxt], __popc(mask));
      first = __shfl_sync(kFullMask, first, leader);
      if (count) {
        const std::uint32_t pos = first + __popc(mask & ((1u << lane) - 1u));
        v.list_slot[nxt][pos] = static_cast<std::uint32_t>(slot);
        v.list_count[nxt][pos] = static_cast<std::uint8_t>(count);
      }
    }
  }
  flush_counters(v.counters, c);
}

/// The fused strategy's accumulators of step `step`: two buffers alternate,
/// step s consuming one while its spikes are scattered into the other.
__device__ __forceinline__ std::int64_t* fused_acc(const EngineView& v, std::uint64_t step) {
  return (step & 1u) ? v.acc_next : v.acc;
}

/// One kernel per step: the fused update of every slot, then each warp
/// scatters the rows of its spiking lanes (all 32 lanes over one row at a
/// time) into the next step's accumulators. No spike list, no second launch.
template <class Model>
__global__ void __launch_bounds__(kStepThreads) fused_kernel(Model model, EngineView v, RunView r, StepRef sref, int advance) {
  __shared__ double tv[kMaxStimuli];
  const std::uint64_t step = sref.get();
  if (stopped_before(v.bad, step - r.run_first_step)) return;
  load_stimulus_values(v, r, step, tv);
  __syncthreads();
  std::int64_t* acc_now = fused_acc(v, step);
  std::int64_t* acc_nxt = fused_acc(v, step + 1);
  SlotCounters c;
  bool bad = false;
  const unsigned lane = threadIdx.x & 31u;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  const std::size_t ring_pos = v.ring_len ? static_cast<std::size_t>(step % v.ring_len) : 0;
  const std::size_t self_pos = v.self_len ? static_cast<std::size_t>(step % v.self_len) : 0;
  for (std::uint64_t base = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x; base < v.slots; base += stride) {
    const std::uint64_t slot = base + threadIdx.x;
    std::uint32_t count = 0;
    std::int64_t e0 = 0, e1 = 0, unit_base = 0, q_base = 0, edge_base = 0;
    if (slot < v.slots) {
      const DevUnit u = v.units[v.slot_unit[slot]];
      const DevNet net = v.nets[u.net];
      const auto i = static_cast<std::uint32_t>(slot - static_cast<std::uint64_t>(u.slot_base));
      SlotState st = global_state(v, slot);
      st.acc = acc_now + slot;
      count = neuron_step(model, v, r, slot, u, net, i, step, tv, advance != 0, st, ring_pos, self_pos, c, bad);
      if (count) {
        const std::int64_t* rp = v.row_ptr + net.row_base;
        e0 = __ldg(rp + i);
        e1 = __ldg(rp + i + 1);
        unit_base = u.slot_base;
        q_base = net.q_base;
        edge_base = net.edge_base;
      }
    }
    unsigned mask = __ballot_sync(kFullMask, count != 0);
    while (mask) {
      const int l = __ffs(mask) - 1;
      mask &= mask - 1;
      const std::int64_t cnt = __shfl_sync(kFullMask, static_cast<int>(count), l);
      const std::int64_t a = __shfl_sync(kFullMask, e0, l), b = __shfl_sync(kFullMask, e1, l);
      const std::int64_t ub = __shfl_sync(kFullMask, unit_base, l);
      const std::int32_t* post = v.post + __shfl_sync(kFullMask, edge_base, l);
      const std::int32_t* q = v.q + __shfl_sync(kFullMask, q_base, l);
      std::int64_t* acc = acc_nxt + ub;
      for (std::int64_t e = a + lane; e < b; e += 32) atomic_add_i64(acc + __ldg(post + e), static_cast<std::int64_t>(__ldg(q + e)) * cnt);
    }
  }
  flush_counters(v.counters, c);
}

// ---------------------------------------------------------------- block per unit

/// Shared-memory layout of the block strategy for a unit of n neurons (the
/// largest unit sets the launch's size). With `state` the unit's whole state
/// lives there during the launch (copied in and out); else only the
/// accumulators (and the spike lists).
struct BlockSmem {
  std::size_t acc, S, ring, list_idx, xhist, xlast, list_cnt, bytes;
  CASCADE_HD static BlockSmem layout(std::size_t n, std::size_t ring_len, std::size_t self_len, bool state) {
    BlockSmem b{};
    std::size_t at = 0;
    b.acc = at;
    at += 8 * n;
    b.S = at;
    at += state ? 8 * n : 0;
    b.ring = at;
    at += state ? 8 * n * ring_len : 0;
    b.list_idx = at;
    at += 2 * 4 * n;
    b.xhist = at;
    at += state ? n * self_len : 0;
    b.xlast = at;
    at += state ? n : 0;
    b.list_cnt = at;
    at += 2 * n;
    b.bytes = (at + 15) / 16 * 16;
    return b;
  }
};

/// A unit's state (or a cluster block's share of it) in shared memory, as
/// BlockSmem lays it out: `capacity` neurons for the spike lists, `stride`
/// between a neuron's successive ring and history entries.
struct SmemUnit {
  std::int64_t* acc;
  double* S;
  std::int64_t* ring;
  std::uint8_t* xhist;
  std::uint8_t* xlast;
  std::uint32_t* lidx[2];
  std::uint8_t* lcnt[2];
  std::uint32_t stride;

  __device__ __forceinline__ static SmemUnit carve(unsigned char* smem, const BlockSmem& L, std::uint32_t capacity,
                                                   std::uint32_t stride) {
    SmemUnit u;
    u.acc = reinterpret_cast<std::int64_t*>(smem + L.acc);
    u.S = reinterpret_cast<double*>(smem + L.S);
    u.ring = reinterpret_cast<std::int64_t*>(smem + L.ring);
    u.xhist = smem + L.xhist;
    u.xlast = smem + L.xlast;
    u.lidx[0] = reinterpret_cast<std::uint32_t*>(smem + L.list_idx);
    u.lidx[1] = u.lidx[0] + capacity;
    u.lcnt[0] = smem + L.list_cnt;
    u.lcnt[1] = u.lcnt[0] + capacity;
    u.stride = stride;
    return u;
  }
  /// Copies slot `slot`'s state (filtered drive, last count, histories) in as local neuron i.
  __device__ __forceinline__ void load(const EngineView& v, std::uint64_t slot, std::uint32_t i, std::uint32_t R,
                                       std::uint32_t H) const {
    S[i] = v.S[slot];
    xlast[i] = v.xlast[slot];
    for (std::uint32_t k = 0; k < R; ++k) ring[static_cast<std::size_t>(k) * stride + i] = v.ring[k * v.slots + slot];
    for (std::uint32_t k = 0; k < H; ++k) xhist[static_cast<std::size_t>(k) * stride + i] = v.xhist[k * v.slots + slot];
  }
  /// Writes local neuron i's state back to slot `slot`.
  __device__ __forceinline__ void store(const EngineView& v, std::uint64_t slot, std::uint32_t i, std::uint32_t R,
                                        std::uint32_t H) const {
    v.S[slot] = S[i];
    v.xlast[slot] = xlast[i];
    for (std::uint32_t t = 0; t < R; ++t) v.ring[t * v.slots + slot] = ring[static_cast<std::size_t>(t) * stride + i];
    for (std::uint32_t t = 0; t < H; ++t) v.xhist[t * v.slots + slot] = xhist[static_cast<std::size_t>(t) * stride + i];
  }
};

/// One block owns one unit and runs `nsteps` steps in one launch: warps
/// scatter the previous step's spikes into a shared-memory accumulator (or the
/// ring for per-edge filters), barrier, fused update of the unit's neurons,
/// barrier. Units are independent, so a block stops on its own non-finite
/// rate and never waits for another.
template <class Model, bool kState>
__global__ void __launch_bounds__(kBlockMaxThreads) block_kernel(Model model, EngineView v, RunView r, std::uint64_t s0,
                                                                 std::int64_t nsteps, int advance_first,
                                                                 std::uint32_t max_n) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ double tv[kMaxStimuli];
  __shared__ std::uint32_t slen[2];
  __shared__ int stop;
  const std::uint32_t uix = blockIdx.x;
  const DevUnit u = v.units[uix];
  const DevNet net = v.nets[u.net];
  const std::uint32_t n = net.n;
  const std::uint64_t base = static_cast<std::uint64_t>(u.slot_base);
  const SmemUnit su = SmemUnit::carve(smem, BlockSmem::layout(max_n, v.ring_len, v.self_len, kState), max_n, n);
  std::int64_t* sacc = su.acc;
  double* sS = su.S;
  std::int64_t* sring = su.ring;
  std::uint8_t* sxh = su.xhist;
  std::uint8_t* sxl = su.xlast;
  std::uint32_t* const* lidx = su.lidx;
  std::uint8_t* const* lcnt = su.lcnt;
  const std::uint32_t R = v.ring_len, H = v.self_len;
  // Per-edge rings live in shared memory with the state, else in global memory.
  const bool ring_shared = kState;
  const int cur0 = static_cast<int>(s0 & 1u);
  for (std::uint32_t i = threadIdx.x; i < n; i += blockDim.x) {
    sacc[i] = 0;
    if constexpr (kState) su.load(v, base + i, i, R, H);
  }
  if (threadIdx.x == 0) {
    slen[cur0] = v.unit_len[2 * uix + cur0];
    slen[cur0 ^ 1] = 0;
    stop = 0;
  }
  __syncthreads();
  for (std::uint32_t p = threadIdx.x; p < slen[cur0]; p += blockDim.x) {
    lidx[cur0][p] = static_cast<std::uint32_t>(v.list_slot[cur0][base + p] - base);
    lcnt[cur0][p] = v.list_count[cur0][base + p];
  }
  __syncthreads();
  const std::int64_t* rp = v.row_ptr + net.row_base;
  const std::int32_t* post = v.post + net.edge_base;
  const std::int32_t* q = v.q + net.q_base;
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  SlotCounters c;
  bool bad = false;
  std::size_t ring_pos = R ? static_cast<std::size_t>(s0 % R) : 0;
  std::size_t self_pos = H ? static_cast<std::size_t>(s0 % H) : 0;
  std::int64_t k = 0;
  for (; k < nsteps; ++k) {
    const std::uint64_t step = s0 + static_cast<std::uint64_t>(k);
    const int cur = static_cast<int>(step & 1u), nxt = cur ^ 1;
    const bool advance = k > 0 || advance_first;
    if (advance) {
      const std::uint32_t len = slen[cur];
      for (std::uint32_t sp = warp; sp < len; sp += nwarps) {
        const std::int64_t j = lidx[cur][sp];
        const std::int64_t cnt = lcnt[cur][sp];
        const std::int64_t e0 = __ldg(rp + j), e1 = __ldg(rp + j + 1);
        if (!v.per_edge) {
          for (std::int64_t e = e0 + lane; e < e1; e += 32)
            atomicAdd(reinterpret_cast<unsigned long long*>(sacc + __ldg(post + e)),
                      static_cast<unsigned long long>(static_cast<std::int64_t>(__ldg(q + e)) * cnt));
        } else {
          const std::uint32_t T = net.T;
          for (std::int64_t e = e0 + lane; e < e1; e += 32) {
            const std::int32_t target = __ldg(post + e);
            const std::int32_t* w = q + e * T;
            std::size_t pos = ring_pos;
            for (std::uint32_t t = 0; t < T; ++t) {
              const std::int64_t add = static_cast<std::int64_t>(__ldg(w + t)) * cnt;
              if (ring_shared) atomicAdd(reinterpret_cast<unsigned long long*>(sring + pos * n + target),
                                         static_cast<unsigned long long>(add));
              else atomic_add_i64(v.ring + pos * v.slots + base + target, add);
              pos = pos + 1 == R ? 0 : pos + 1;
            }
          }
        }
      }
    }
    load_stimulus_values(v, r, step, tv);
    if (threadIdx.x == 0) slen[nxt] = 0;  // its last reader was the previous step's scatter
    __syncthreads();
    for (std::uint32_t i = threadIdx.x; i < n; i += blockDim.x) {
      const std::uint64_t slot = base + i;
      SlotState st;
      if constexpr (kState) {
        st = SlotState{sS + i, sacc + i, R ? sring + i : nullptr, H ? sxh + i : nullptr, sxl + i, n};
      } else {
        st = global_state(v, slot);
        st.acc = v.per_edge ? v.acc + slot : sacc + i;
      }
      const std::uint32_t count = neuron_step(model, v, r, slot, u, net, i, step, tv, advance, st, ring_pos, self_pos, c, bad);
      if (count) {
        const std::uint32_t p = atomicAdd(&slen[nxt], 1u);
        lidx[nxt][p] = i;
        lcnt[nxt][p] = static_cast<std::uint8_t>(count);
      }
    }
    if (bad) atomicExch(&stop, 1);
    if (R) ring_pos = ring_pos + 1 == R ? 0 : ring_pos + 1;
    if (H) self_pos = self_pos + 1 == H ? 0 : self_pos + 1;
    __syncthreads();
    if (stop) {
      ++k;
      break;
    }
  }
  // Write back: the state, and the spike list of the next step to run.
  const int fin = static_cast<int>((s0 + static_cast<std::uint64_t>(k)) & 1u);
  if constexpr (kState)
    for (std::uint32_t i = threadIdx.x; i < n; i += blockDim.x) su.store(v, base + i, i, R, H);
  for (std::uint32_t p = threadIdx.x; p < slen[fin]; p += blockDim.x) {
    v.list_slot[fin][base + p] = static_cast<std::uint32_t>(base + lidx[fin][p]);
    v.list_count[fin][base + p] = lcnt[fin][p];
  }
  if (threadIdx.x == 0) {
    v.unit_len[2 * uix + fin] = slen[fin];
    v.unit_len[2 * uix + (fin ^ 1)] = 0;
  }
  flush_counters(v.counters, c);
}

// ---------------------------------------------------------------- cluster per unit

/// One thread-block cluster (sm_90) owns one unit and runs `nsteps` steps in
/// one launch. Block `rank` of the cluster owns neurons [rank * slice,
/// (rank + 1) * slice) with their whole state in its shared memory; a
/// spiking neuron's owner scatters its row into the targets' owners'
/// accumulators through distributed shared memory (int64 atomics: the sum is
/// exact, so the order does not matter). Two cluster barriers a step: after
/// the scatter (every drive has arrived) and after the update (every drive
/// was consumed before the next scatter). A unit several SMs wide without a
/// launch or a trip through global memory per step.
template <class Model>
__global__ void __launch_bounds__(kClusterThreads) cluster_kernel(Model model, EngineView v, RunView r,
                                                                   std::uint64_t s0, std::int64_t nsteps,
                                                                   int advance_first, std::uint32_t slice) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  namespace cg = cooperative_groups;
  cg::cluster_group cluster = cg::this_cluster();
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ double tv[kMaxStimuli];
  __shared__ std::uint32_t slen[2];
  __shared__ int stop;  // rank 0's copy is the cluster's
  const std::uint32_t C = cluster.num_blocks(), rank = cluster.block_rank();
  const std::uint32_t uix = blockIdx.x / C;
  const DevUnit u = v.units[uix];
  const DevNet net = v.nets[u.net];
  const std::uint32_t n = net.n;
  const std::uint32_t lo = min(n, rank * slice), hi = min(n, lo + slice), mine = hi - lo;
  const std::uint64_t base = static_cast<std::uint64_t>(u.slot_base) + lo;  // slot of my first neuron
  const SmemUnit su = SmemUnit::carve(smem, BlockSmem::layout(slice, v.ring_len, v.self_len, true), slice, slice);
  std::int64_t* sacc = su.acc;
  double* sS = su.S;
  std::int64_t* sring = su.ring;
  std::uint8_t* sxh = su.xhist;
  std::uint8_t* sxl = su.xlast;
  std::uint32_t* const* lidx = su.lidx;
  std::uint8_t* const* lcnt = su.lcnt;
  const std::uint32_t R = v.ring_len, H = v.self_len;
  const int cur0 = static_cast<int>(s0 & 1u);
  if (threadIdx.x == 0) {
    slen[0] = slen[1] = 0;
    stop = 0;
  }
  __syncthreads();
  for (std::uint32_t i = threadIdx.x; i < mine; i += blockDim.x) {
    sacc[i] = 0;
    su.load(v, base + i, i, R, H);
    const std::uint8_t x = sxl[i];
    if (x && advance_first) {  // the pending spikes: the previous step's counts
      const std::uint32_t p = atomicAdd(&slen[cur0], 1u);
      lidx[cur0][p] = i;
      lcnt[cur0][p] = x;
    }
  }
  cluster.sync();  // every block's accumulators are zero before anyone scatters into them
  const std::int64_t* rp = v.row_ptr + net.row_base;
  const std::int32_t* post = v.post + net.edge_base;
  const std::int32_t* q = v.q + net.q_base;
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  int* cluster_stop = cluster.map_shared_rank(&stop, 0);
  SlotCounters c;
  bool bad = false;
  std::size_t ring_pos = R ? static_cast<std::size_t>(s0 % R) : 0;
  std::size_t self_pos = H ? static_cast<std::size_t>(s0 % H) : 0;
  for (std::int64_t k = 0; k < nsteps; ++k) {
    const std::uint64_t step = s0 + static_cast<std::uint64_t>(k);
    const int cur = static_cast<int>(step & 1u), nxt = cur ^ 1;
    const bool advance = k > 0 || advance_first;
    if (advance) {
      const std::uint32_t len = slen[cur];
      for (std::uint32_t sp = warp; sp < len; sp += nwarps) {
        const std::int64_t j = lo + lidx[cur][sp];
        const std::int64_t cnt = lcnt[cur][sp];
        const std::int64_t e0 = __ldg(rp + j), e1 = __ldg(rp + j + 1);
        for (std::int64_t e = e0 + lane; e < e1; e += 32) {
          const std::uint32_t t = static_cast<std::uint32_t>(__ldg(post + e));
          const std::uint32_t owner = t / slice;
          std::int64_t* dst = cluster.map_shared_rank(sacc, owner) + (t - owner * slice);
          atomicAdd(reinterpret_cast<unsigned long long*>(dst),
                    static_cast<unsigned long long>(static_cast<std::int64_t>(__ldg(q + e)) * cnt));
        }
      }
    }
    load_stimulus_values(v, r, step, tv);
    if (threadIdx.x == 0) slen[nxt] = 0;  // its last reader was the previous step's scatter
    cluster.sync();                       // every drive of this step has arrived
    for (std::uint32_t i = threadIdx.x; i < mine; i += blockDim.x) {
      SlotState st{sS + i, sacc + i, R ? sring + i : nullptr, H ? sxh + i : nullptr, sxl + i, slice};
      const std::uint32_t count =
          neuron_step(model, v, r, base + i, u, net, lo + i, step, tv, advance, st, ring_pos, self_pos, c, bad);
      if (count) {
        const std::uint32_t p = atomicAdd(&slen[nxt], 1u);
        lidx[nxt][p] = i;
        lcnt[nxt][p] = static_cast<std::uint8_t>(count);
      }
    }
    if (bad) atomicExch(cluster_stop, 1);
    if (R) ring_pos = ring_pos + 1 == R ? 0 : ring_pos + 1;
    if (H) self_pos = self_pos + 1 == H ? 0 : self_pos + 1;
    cluster.sync();  // every drive was consumed (and the stop flag set) before the next scatter
    if (*reinterpret_cast<volatile int*>(cluster_stop)) break;
  }
  // Write back my neurons' state; the next launch rebuilds the pending spikes from xlast.
  for (std::uint32_t i = threadIdx.x; i < mine; i += blockDim.x) su.store(v, base + i, i, R, H);
  flush_counters(v.counters, c);
  cluster.sync();  // no block leaves while another may still read its shared memory (the stop flag)
#endif
}

}  // namespace cascade::gpu
