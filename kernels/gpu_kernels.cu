// The model-independent kernels of the GPU engine and their launch wrappers.
#include "cascade/extend/gpu/cuda_util.hpp"
#include "cascade/extend/gpu/step_kernels.cuh"

namespace cascade::gpu {
namespace {

__device__ __forceinline__ std::int64_t warp_sum_i64(std::int64_t x) {
  for (int o = 16; o > 0; o >>= 1) x += __shfl_down_sync(kFullMask, x, o);
  return x;
}

/// Scatters one spiking slot's out-edges; `lane`/`width` split them among a
/// warp or a block.
__device__ __forceinline__ void scatter_one(const EngineView& v, std::uint64_t step, std::uint32_t slot,
                                            std::int64_t cnt, unsigned lane, unsigned width) {
  const DevUnit u = v.units[v.slot_unit[slot]];
  const DevNet& net = v.nets[u.net];
  const std::int64_t j = static_cast<std::int64_t>(slot) - u.slot_base;
  const std::int64_t* rp = v.row_ptr + net.row_base;
  const std::int32_t* post = v.post + net.edge_base;
  const std::int32_t* q = v.q + net.q_base;
  const std::int64_t e0 = __ldg(rp + j), e1 = __ldg(rp + j + 1);
  if (!v.per_edge) {
    std::int64_t* acc = v.acc + u.slot_base;
    for (std::int64_t e = e0 + lane; e < e1; e += width)
      atomic_add_i64(acc + __ldg(post + e), static_cast<std::int64_t>(__ldg(q + e)) * cnt);
  } else {
    const std::uint32_t T = net.T, R = v.ring_len;
    const std::size_t pos0 = static_cast<std::size_t>(step % R);
    for (std::int64_t e = e0 + lane; e < e1; e += width) {
      std::int64_t* ring = v.ring + u.slot_base + __ldg(post + e);
      const std::int32_t* w = q + e * T;
      std::size_t pos = pos0;
      for (std::uint32_t t = 0; t < T; ++t) {
        atomic_add_i64(ring + pos * v.slots, static_cast<std::int64_t>(__ldg(w + t)) * cnt);
        pos = pos + 1 == R ? 0 : pos + 1;
      }
    }
  }
}

__global__ void scatter_kernel(EngineView v, RunView r, StepRef sref, int by_block) {
  const std::uint64_t step = sref.get();
  if (stopped_before(v.bad, step - r.run_first_step)) return;
  const int cur = static_cast<int>(step & 1u);
  const std::uint32_t len = v.list_len[cur];
  if (by_block) {
    for (std::uint32_t sp = blockIdx.x; sp < len; sp += gridDim.x)
      scatter_one(v, step, v.list_slot[cur][sp], v.list_count[cur][sp], threadIdx.x, blockDim.x);
    return;
  }
  const std::uint32_t warps = (gridDim.x * blockDim.x) >> 5;
  for (std::uint32_t sp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; sp < len; sp += warps)
    scatter_one(v, step, v.list_slot[cur][sp], v.list_count[cur][sp], threadIdx.x & 31u, 32);
}

__global__ void pull_kernel(EngineView v, RunView r, StepRef sref) {
  const std::uint64_t step = sref.get();
  if (stopped_before(v.bad, step - r.run_first_step)) return;
  const unsigned lane = threadIdx.x & 31u;
  const std::uint64_t warps = (static_cast<std::uint64_t>(gridDim.x) * blockDim.x) >> 5;
  for (std::uint64_t slot = (static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; slot < v.slots;
       slot += warps) {
    const DevUnit u = v.units[v.slot_unit[slot]];
    const DevNet& net = v.nets[u.net];
    const std::int64_t i = static_cast<std::int64_t>(slot) - u.slot_base;
    const std::int64_t* cp = v.col_ptr + net.col_base;
    const std::int32_t* pre = v.csc_pre + net.edge_base;
    const std::int32_t* q = v.csc_q + net.edge_base;
    const std::uint8_t* x = v.xlast + u.slot_base;
    std::int64_t sum = 0;
    for (std::int64_t e = cp[i] + lane; e < cp[i + 1]; e += 32) {
      const std::uint8_t c = x[pre[e]];
      if (c) sum += static_cast<std::int64_t>(q[e]) * c;
    }
    sum = warp_sum_i64(sum);
    if (lane == 0 && sum) v.acc[slot] += sum;
  }
}

__global__ void advance_base_kernel(std::uint64_t* base, std::uint64_t by) { *base += by; }
__global__ void set_base_kernel(std::uint64_t* base, std::uint64_t value) { *base = value; }

__global__ void build_lists_kernel(EngineView v, int cur, int per_unit) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t slot = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; slot < v.slots;
       slot += stride) {
    const std::uint8_t c = v.xlast[slot];
    if (!c) continue;
    if (per_unit) {
      const std::uint32_t ui = v.slot_unit[slot];
      const std::uint32_t pos = atomicAdd(&v.unit_len[2 * ui + cur], 1u);
      const std::uint64_t at = static_cast<std::uint64_t>(v.units[ui].slot_base) + pos;
      v.list_slot[cur][at] = static_cast<std::uint32_t>(slot);
      v.list_count[cur][at] = c;
    } else {
      const std::uint32_t pos = atomicAdd(&v.list_len[cur], 1u);
      v.list_slot[cur][pos] = static_cast<std::uint32_t>(slot);
      v.list_count[cur][pos] = c;
    }
  }
}

__global__ void initial_state_kernel(EngineView v, std::uint64_t step, double* activation) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t slot = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; slot < v.slots;
       slot += stride) {
    const DevUnit u = v.units[v.slot_unit[slot]];
    const DevNet& net = v.nets[u.net];
    const NeuronStream rng{v.seed, step, net.instance, u.replica,
                           static_cast<std::uint32_t>(static_cast<std::int64_t>(slot) - u.slot_base)};
    if (activation) activation[slot] = initial_activation(rng);
    else v.xlast[slot] = initial_spike(rng);
  }
}

__global__ void activation_scatter_kernel(EngineView v, const double* activation) {
  const unsigned lane = threadIdx.x & 31u;
  const std::uint64_t warps = (static_cast<std::uint64_t>(gridDim.x) * blockDim.x) >> 5;
  for (std::uint64_t slot = (static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; slot < v.slots;
       slot += warps) {
    const DevUnit u = v.units[v.slot_unit[slot]];
    const DevNet& net = v.nets[u.net];
    const std::int64_t j = static_cast<std::int64_t>(slot) - u.slot_base;
    const std::int64_t* rp = v.row_ptr + net.row_base;
    const std::int32_t* post = v.post + net.edge_base;
    const std::int32_t* q = v.q + net.q_base;
    const double sj = activation[slot];
    for (std::int64_t e = rp[j] + lane; e < rp[j + 1]; e += 32)
      atomic_add_i64(v.acc + u.slot_base + post[e], quantise_product(q[e], sj));
  }
}

__global__ void activation_finish_kernel(EngineView v) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t slot = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; slot < v.slots;
       slot += stride) {
    const DevUnit u = v.units[v.slot_unit[slot]];
    v.S[slot] = static_cast<double>(v.acc[slot]) * v.nets[u.net].scale;
    v.acc[slot] = 0;
  }
}

int grid_for(std::uint64_t items, int threads) {
  const std::uint64_t b = (items + threads - 1) / threads;
  return static_cast<int>(b < 1 ? 1 : (b > 65535 ? 65535 : b));
}

}  // namespace

void launch_scatter(const EngineView& v, const RunView& r, StepRef sref, bool by_block, int blocks, cudaStream_t s) {
  scatter_kernel<<<blocks, kStepThreads, 0, s>>>(v, r, sref, by_block ? 1 : 0);
  CASCADE_CUDA_CHECK_LAUNCH();
}

void launch_pull(const EngineView& v, const RunView& r, StepRef sref, int blocks, cudaStream_t s) {
  pull_kernel<<<blocks, kStepThreads, 0, s>>>(v, r, sref);
  CASCADE_CUDA_CHECK_LAUNCH();
}

void launch_advance_base(std::uint64_t* base, std::uint64_t by, cudaStream_t s) {
  advance_base_kernel<<<1, 1, 0, s>>>(base, by);
  CASCADE_CUDA_CHECK_LAUNCH();
}

void launch_set_base(std::uint64_t* base, std::uint64_t value, cudaStream_t s) {
  set_base_kernel<<<1, 1, 0, s>>>(base, value);
  CASCADE_CUDA_CHECK_LAUNCH();
}

void launch_build_lists(const EngineView& v, int cur, bool per_unit, cudaStream_t s) {
  build_lists_kernel<<<grid_for(v.slots, 256), 256, 0, s>>>(v, cur, per_unit ? 1 : 0);
  CASCADE_CUDA_CHECK_LAUNCH();
}

void launch_initial_state(const EngineView& v, std::uint64_t step, double* activation, cudaStream_t s) {
  initial_state_kernel<<<grid_for(v.slots, 256), 256, 0, s>>>(v, step, activation);
  CASCADE_CUDA_CHECK_LAUNCH();
}

void launch_load_activation(const EngineView& v, const double* activation, cudaStream_t s) {
  activation_scatter_kernel<<<grid_for(v.slots * 32, 256), 256, 0, s>>>(v, activation);
  CASCADE_CUDA_CHECK_LAUNCH();
  activation_finish_kernel<<<grid_for(v.slots, 256), 256, 0, s>>>(v);
  CASCADE_CUDA_CHECK_LAUNCH();
}

}  // namespace cascade::gpu
