// The replay (tune's objective and its hand-written gradient) on the GPU: one
// block per (replica, network) unit walks the epoch's recorded spikes step by
// step, as the CPU replay does, with the per-neuron math shared through
// include/cascade/tune/replay_math.hpp. Each step: warps scatter the previous
// step's counts into a shared-memory drive y (double atomics: the sum's order
// differs from the CPU's, so results agree to rounding, ~1e-15 relative),
// barrier, each thread folds y into its neurons' filter state and, inside the
// objective's window, adds their phi and d phi / d theta terms; a block
// reduction at the end gives the unit's sums.
#include <algorithm>
#include <limits>

#include "cascade/tune/replay_gpu.hpp"
#include "cuda_util.hpp"
#include "device_stimulus.hpp"

namespace cascade::replay {
namespace {

constexpr int kThreads = 256;

struct ReplayNet {
  std::int64_t row_base, edge_base, global0;
  std::uint32_t n;
};

struct ReplayIn {
  const ReplayNet* nets;
  std::uint32_t n_nets;
  const std::int64_t* row_ptr;
  const std::int32_t* post;
  const double* w;                  // weight as the replay uses it: q * scale
  const std::uint8_t* counts;       // [replicas][neurons][steps]
  const std::uint8_t* x0;           // initial spikes [replicas * neurons]
  const double* s0;                 // initial activation [replicas * neurons]
  double* S;                        // [units-slots]: replica * neurons + global
  double* dS;
  double* ring;                     // [L][replicas * neurons]
  std::uint64_t slots;              // replicas * neurons
  std::uint64_t neurons, steps, window_start;
  StimulusView stim;
  const Slot* slot_list;
  std::uint32_t n_slots;
  double* out;                      // [units][2 + n_slots]
};

__device__ __forceinline__ double count_at(const ReplayIn& in, std::uint64_t r, std::uint64_t global, std::int64_t t) {
  if (t < -1) return 0.0;  // before the initial state: silence
  if (t < 0) return in.x0 ? static_cast<double>(in.x0[r * in.neurons + global]) : 0.0;
  return static_cast<double>(in.counts[(r * in.neurons + global) * in.steps + static_cast<std::uint64_t>(t)]);
}

template <class Model>
__global__ void __launch_bounds__(kThreads) replay_kernel(Model m, Coupling cf, ReplayIn in) {
  extern __shared__ double y[];
  __shared__ double tv[kMaxStimuli];
  __shared__ double slot_dtv[kMaxSlots];
  __shared__ Slot sl[kMaxSlots];
  __shared__ double h[kMaxSelf], dh_beta[kMaxSelf], dh_rel[kMaxSelf];
  __shared__ double red[kThreads];
  const std::uint32_t u = blockIdx.x;
  const std::uint64_t r = u / in.n_nets;
  const std::uint32_t b = u % in.n_nets;
  const ReplayNet net = in.nets[b];
  const std::uint32_t n = net.n;
  const std::uint64_t base = r * in.neurons + static_cast<std::uint64_t>(net.global0);
  const std::int64_t* rp = in.row_ptr + net.row_base;
  const std::int32_t* post = in.post + net.edge_base;
  const double* w = in.w + net.edge_base;
  const std::uint32_t P = in.n_slots, L = cf.L;
  const int H = self_length(m);
  for (std::uint32_t q = threadIdx.x; q < P; q += blockDim.x) sl[q] = in.slot_list[q];
  for (int k = threadIdx.x; k < H; k += blockDim.x) self_filter_terms(m, k, h[k], dh_beta[k], dh_rel[k]);
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;

  // State starts at zero; activation models read S(0) = sum_j W[j, i] s0_j as given.
  for (std::uint32_t i = threadIdx.x; i < n; i += blockDim.x) {
    in.S[base + i] = 0.0;
    in.dS[base + i] = 0.0;
    for (std::uint32_t k = 0; k < L; ++k) in.ring[k * in.slots + base + i] = 0.0;
    y[i] = 0.0;
  }
  __syncthreads();
  if constexpr (kActivationModel<Model>) {
    for (std::uint32_t j = warp; j < n; j += nwarps) {
      const double s0 = in.s0[base + j];
      for (std::int64_t e = rp[j] + lane; e < rp[j + 1]; e += 32) atomicAdd(&y[post[e]], w[e] * s0);
    }
    __syncthreads();
    for (std::uint32_t i = threadIdx.x; i < n; i += blockDim.x) in.S[base + i] = y[i];
  }

  double phi = 0.0, kink = std::numeric_limits<double>::infinity();
  double dphi[kMaxSlots];
  bool in_mask[kMaxSlots];
  for (std::uint32_t q = 0; q < kMaxSlots; ++q) dphi[q] = 0.0;
  std::uint32_t ring_pos = 0;
  for (std::uint64_t s = 0; s < in.steps; ++s) {
    const std::int64_t st = static_cast<std::int64_t>(s);
    const bool fold = !kActivationModel<Model> || s >= 1;
    if (fold) {
      __syncthreads();  // the previous step's readers of y are done
      for (std::uint32_t i = threadIdx.x; i < n; i += blockDim.x) y[i] = 0.0;
      __syncthreads();
      for (std::uint32_t j = warp; j < n; j += nwarps) {
        const double x = count_at(in, r, static_cast<std::uint64_t>(net.global0) + j, st - 1);
        if (x == 0.0) continue;
        for (std::int64_t e = rp[j] + lane; e < rp[j + 1]; e += 32) atomicAdd(&y[post[e]], w[e] * x);
      }
      __syncthreads();
      for (std::uint32_t i = threadIdx.x; i < n; i += blockDim.x)
        fold_drive<Model>(cf, y[i], in.S[base + i], in.dS[base + i], L > 0 ? &in.ring[ring_pos * in.slots + base + i] : nullptr);
      if (L > 0) ring_pos = ring_pos + 1 == L ? 0 : ring_pos + 1;
    }
    if (s < in.window_start) continue;
    const std::int64_t t = st - static_cast<std::int64_t>(in.window_start);
    const bool stim = in.stim.count > 0;
    if (stim) {
      __syncthreads();  // tv and slot_dtv of the previous step are no longer read
      for (std::uint32_t k = threadIdx.x; k < in.stim.count; k += blockDim.x)
        tv[k] = stimulus_time_value(in.stim.params[k], in.stim.events, t);
      for (std::uint32_t q = threadIdx.x; q < P; q += blockDim.x)
        slot_dtv[q] = sl[q].p == P::kStimulus
                          ? stimulus_time_derivative(in.stim.params[sl[q].stimulus], in.stim.events, t, sl[q].sp)
                          : 0.0;
      __syncthreads();
    }
    for (std::uint32_t i = threadIdx.x; i < n; i += blockDim.x) {
      const std::uint64_t global = static_cast<std::uint64_t>(net.global0) + i;
      const double E = stim ? stimulus_input(in.stim, tv, b, n, i, global, t) : 0.0;
      double self = 0.0, dself_beta = 0.0, dself_rel = 0.0;
      for (int k = 0; k < H; ++k) {
        const double x = count_at(in, r, global, st - 1 - k);
        if (x == 0.0) continue;
        self += h[k] * x;
        dself_beta += dh_beta[k] * x;
        dself_rel += dh_rel[k] * x;
      }
      for (std::uint32_t q = 0; q < P; ++q) {
        in_mask[q] = true;
        if (sl[q].p == P::kStimulus) {
          const std::int64_t mo = in.stim.mask_offset[sl[q].stimulus];
          in_mask[q] = mo < 0 || in.stim.masks[mo + static_cast<std::int64_t>(global)];
        }
      }
      neuron_terms(m, cf, in.S[base + i], in.dS[base + i], self, dself_beta, dself_rel, E, sl, P, slot_dtv, in_mask,
                   phi, dphi, kink);
    }
  }

  // Block sums (and the minimum kink distance) into out[u].
  double* o = in.out + static_cast<std::uint64_t>(u) * (2 + P);
  auto reduce = [&](double v, bool minimum) {
    __syncthreads();
    red[threadIdx.x] = v;
    __syncthreads();
    for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
      if (threadIdx.x < stride)
        red[threadIdx.x] = minimum ? fmin(red[threadIdx.x], red[threadIdx.x + stride])
                                   : red[threadIdx.x] + red[threadIdx.x + stride];
      __syncthreads();
    }
    return red[0];
  };
  const double phi_sum = reduce(phi, false);
  if (threadIdx.x == 0) o[0] = phi_sum;
  const double kink_min = reduce(kink, true);
  if (threadIdx.x == 0) o[1] = kink_min;
  for (std::uint32_t q = 0; q < P; ++q) {
    const double d = reduce(dphi[q], false);
    if (threadIdx.x == 0) o[2 + q] = d;
  }
}

template <class Model>
std::vector<double> run_replay(const Model& m, const std::vector<std::shared_ptr<const Network>>& nets,
                               const SpikeRecord& rec, const StimulusTable* table, const std::vector<Slot>& slots,
                               int device) {
  CASCADE_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  CASCADE_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  if (slots.size() > kMaxSlots)
    throw Error("replay on the GPU: at most " + std::to_string(kMaxSlots) + " parameters at once, " +
                std::to_string(slots.size()) + " selected");
  if (self_length(m) > static_cast<int>(kMaxSelf))
    throw Error("replay on the GPU: a self filter longer than " + std::to_string(kMaxSelf) + " steps");
  std::vector<ReplayNet> rn(nets.size());
  std::vector<std::int64_t> row_ptr;
  std::vector<std::int32_t> post;
  std::vector<double> w;
  std::size_t max_n = 0, global = 0;
  for (std::size_t k = 0; k < nets.size(); ++k) {
    const Network& net = *nets[k];
    rn[k] = ReplayNet{static_cast<std::int64_t>(row_ptr.size()), static_cast<std::int64_t>(post.size()),
                      static_cast<std::int64_t>(global), static_cast<std::uint32_t>(net.n_neurons())};
    row_ptr.insert(row_ptr.end(), net.row_ptr().begin(), net.row_ptr().end());
    post.insert(post.end(), net.post().begin(), net.post().end());
    const double scale = net.scale();
    for (std::int32_t q : net.quantised()) w.push_back(static_cast<double>(q) * scale);
    max_n = std::max(max_n, net.n_neurons());
    global += net.n_neurons();
  }
  const std::size_t smem = max_n * sizeof(double);
  const std::size_t static_smem = (kMaxStimuli + kMaxSlots + 3 * kMaxSelf + kThreads) * 8 + kMaxSlots * sizeof(Slot);
  if (smem + static_smem > prop.sharedMemPerBlockOptin)
    throw Error("replay on the GPU: a network of " + std::to_string(max_n) +
                " neurons does not fit one block's shared memory (the CPU replay has no such limit)");
  const Coupling cf = coupling_of(m);
  const std::uint64_t slot_count = rec.replicas * rec.neurons;
  cuda::DeviceArray<ReplayNet> d_nets;
  d_nets.upload(rn);
  cuda::DeviceArray<std::int64_t> d_rp;
  d_rp.upload(row_ptr);
  cuda::DeviceArray<std::int32_t> d_post;
  d_post.upload(post);
  cuda::DeviceArray<double> d_w, d_s0, d_S(slot_count), d_dS(slot_count), d_ring(slot_count * cf.L);
  d_w.upload(w);
  cuda::DeviceArray<std::uint8_t> d_counts, d_x0;
  d_counts.upload(rec.counts);
  d_x0.upload(rec.initial_spikes);
  d_s0.upload(rec.initial_activation);
  cuda::DeviceArray<Slot> d_slots;
  d_slots.upload(slots);
  cuda::DeviceStimulus stim;
  stim.upload(table);
  const std::size_t units = rec.replicas * nets.size();
  cuda::DeviceArray<double> d_out(units * (2 + slots.size()));
  ReplayIn in{d_nets.get(),  static_cast<std::uint32_t>(nets.size()),
              d_rp.get(),    d_post.get(),
              d_w.get(),     d_counts.get(),
              rec.initial_spikes.empty() ? nullptr : d_x0.get(),
              rec.initial_activation.empty() ? nullptr : d_s0.get(),
              d_S.get(),     d_dS.get(),
              d_ring.get(),  slot_count,
              rec.neurons,   rec.steps,
              rec.window_start, stim.view(),
              d_slots.get(), static_cast<std::uint32_t>(slots.size()),
              d_out.get()};
  if (smem > 48 * 1024)
    CASCADE_CUDA_CHECK(cudaFuncSetAttribute(replay_kernel<Model>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(smem)));
  replay_kernel<Model><<<static_cast<unsigned>(units), kThreads, smem>>>(m, cf, in);
  CASCADE_CUDA_CHECK_LAUNCH();
  CASCADE_CUDA_CHECK(cudaDeviceSynchronize());
  return d_out.download();
}

}  // namespace

std::vector<double> device_unit_sums(const AnyModel& model, const std::vector<std::shared_ptr<const Network>>& nets,
                                     const SpikeRecord& rec, const StimulusTable* table, const std::vector<Slot>& slots,
                                     int device) {
  return std::visit(
      [&](const auto& m) -> std::vector<double> {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, ThresholdSAM>) {
          throw Error("replay: threshold_sam has no rate objective");
        } else {
          return run_replay(m, nets, rec, table, slots, device);
        }
      },
      model);
}

}  // namespace cascade::replay
