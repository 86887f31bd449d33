// tune's epochs on the GPU (tune/epoch_runner.hpp): one GpuEngine lives
// across epochs; each epoch it simulates from a fresh state while every
// neuron-step writes its g, S, drive and count to a device tap; then the
// tangent kernel forms the objective's sums and derivatives from the tap with
// the CPU runner's formulas (tune/tangent.hpp, the model's own derivatives).
// The host sums the blocks' partials in block order (deterministic) and runs
// Adam: one small copy and one synchronisation per epoch, no network upload,
// no spike download. Where the tap of every slot does not fit in a quarter of
// the free device memory, the epoch runs once per group of slots.
// Include this from a .cu file to tune a user model on the GPU:
//   cascade::tune_model(MyModel{}, nets, stimuli, so, to, {}, cascade::gpu::gpu_runner_factory<MyModel>());
//
// The tangent kernel spreads one slot's epoch over a warp's lanes (a chunk
// of steps each): the tangent recursion dS(s) = a dS(s-1) + c(s) is linear
// with a constant factor, so each lane runs it from zero over its chunk, a
// warp scan composes the chunks (factor a^len, offset), and each lane re-walks
// its chunk from the true incoming value adding the window's terms. The
// epoch's steps then cost about steps/32 dependent iterations, not steps.
#pragma once
#include <algorithm>
#include <limits>

#include "cascade/engine/gpu_engine.hpp"
#include "cascade/extend/epoch_runner.hpp"
#include "cascade/extend/tangent.hpp"
#include "cascade/extend/tune_model.hpp"
#include "gpu_engine.cuh"

namespace cascade::tangent {
namespace gpu_detail {

constexpr int kThreads = 128;                // four warps: four slots at a time per block
constexpr unsigned kMaxTangentBlocks = 4096;  // fixed grid cap: the partials' order depends on slots only
constexpr std::size_t kMaxSlotsArray = kMaxSlots;

struct TangentArgs {
  EpochTap tap;
  std::uint64_t window_start;
  std::uint64_t total_neurons;  // per replica
  StimulusView stim;
  TangentView tv;               // slots, the coupling tangent, h and its derivatives (device memory)
  double* partial;              // [blocks][2 + n_slots]: phi, min kink, d phi / d(slot q)
};

__device__ __forceinline__ double warp_reduce(double v, bool minimum) {
  for (int o = 16; o > 0; o >>= 1) {
    const double w = __shfl_down_sync(0xffffffffu, v, o);
    v = minimum ? fmin(v, w) : v + w;
  }
  return v;
}

template <class Model>
__global__ void __launch_bounds__(kThreads) tangent_kernel(Model m, TangentArgs a) {
  __shared__ Slot sl[kMaxSlots];
  __shared__ double red[kThreads / 32];
  const std::uint32_t P_ = a.tv.n_slots;
  for (std::uint32_t q = threadIdx.x; q < P_; q += blockDim.x) sl[q] = a.tv.slots[q];
  __syncthreads();
  TangentView tv = a.tv;
  tv.slots = sl;
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const std::uint64_t T = a.tap.steps;
  const std::uint64_t chunk = (T + 31) / 32;
  const std::uint64_t s0 = std::min<std::uint64_t>(T, lane * chunk), s1 = std::min<std::uint64_t>(T, s0 + chunk);
  double phi = 0.0, kink = std::numeric_limits<double>::infinity();
  double dphi[kMaxSlots], slot_dtv[kMaxSlots];
  bool in_mask[kMaxSlots];
  for (std::uint32_t q = 0; q < kMaxSlots; ++q) dphi[q] = slot_dtv[q] = 0.0;
  for (std::uint64_t slot = static_cast<std::uint64_t>(blockIdx.x) * warps + warp; slot < a.tap.slots;
       slot += static_cast<std::uint64_t>(gridDim.x) * warps) {
    // 1. This lane's chunk from zero: its end value and factor a^len.
    double e = 0.0, f = 1.0;
    for (std::uint64_t s = s0; s < s1; ++s) {
      e = tv.coupling.a * e + tangent_input(tv.coupling, a.tap, slot, s);
      f *= tv.coupling.a;
    }
    // 2. Inclusive scan of (f, e) over the lanes: (f1, e1) then (f2, e2) is
    //    (f1 f2, f2 e1 + e2). The exclusive value is the incoming dS.
    for (int o = 1; o < 32; o <<= 1) {
      const double fu = __shfl_up_sync(0xffffffffu, f, o), eu = __shfl_up_sync(0xffffffffu, e, o);
      if (static_cast<int>(lane) >= o) {
        e = f * eu + e;
        f = fu * f;
      }
    }
    double dS = __shfl_up_sync(0xffffffffu, e, 1);
    if (lane == 0) dS = 0.0;
    // 3. Re-walk the chunk from the incoming value, adding the window's terms.
    if (s0 < s1) slot_masks(a.stim, sl, P_, (a.tap.slot_begin + slot) % a.total_neurons, in_mask);
    for (std::uint64_t s = s0; s < s1; ++s) {
      dS = tv.coupling.a * dS + tangent_input(tv.coupling, a.tap, slot, s);
      if (s >= a.window_start)
        step_terms(m, tv, a.tap, slot, s, a.window_start, dS, a.stim, slot_dtv, in_mask, phi, dphi, kink);
    }
  }
  // Block reductions in a fixed order: the same partials on every run.
  double* out = a.partial + static_cast<std::uint64_t>(blockIdx.x) * (2 + P_);
  auto block_reduce = [&](double v, bool minimum, double* dst) {
    v = warp_reduce(v, minimum);
    if (lane == 0) red[warp] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
      double r = red[0];
      for (unsigned w = 1; w < warps; ++w) r = minimum ? fmin(r, red[w]) : r + red[w];
      *dst = r;
    }
    __syncthreads();
  };
  block_reduce(phi, false, out);
  block_reduce(kink, true, out + 1);
  for (std::uint32_t q = 0; q < P_; ++q) block_reduce(dphi[q], false, out + 2 + q);
}

}  // namespace gpu_detail

template <TunableModel Model>
class GpuEpochRunner final : public EpochRunner<Model> {
 public:
  GpuEpochRunner(const Model& m, std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& so,
                 const std::vector<std::string>& names, std::int64_t equilibration, std::int64_t steps,
                 std::uint64_t chunk)
      : engine_(m, nets, so), nets_(std::move(nets)), so_(so), names_(names), equilibration_(equilibration),
        steps_(steps), chunk_(chunk) {
    for (const auto& n : nets_) total_ += n->n_neurons();
    slot_count_ = total_ * so.replicas;
    const std::uint64_t T = static_cast<std::uint64_t>(equilibration + steps), n = chunk_ * T;
    g_.resize(n);
    S_.resize(n);
    y_.resize(n);
    x_.resize(n);
    x0_.resize(chunk_);
    P_ = static_cast<std::uint32_t>(names.size());
    blocks_ = static_cast<unsigned>(std::min<std::uint64_t>(gpu_detail::kMaxTangentBlocks, (chunk_ + 3) / 4));
    const std::uint64_t chunks = (slot_count_ + chunk_ - 1) / chunk_;
    d_partial_.resize(chunks * blocks_ * (2 + P_));
    h_partial_.resize(chunks * blocks_ * (2 + P_));
    d_slots_.resize(gpu_detail::kMaxSlotsArray);
    h_slots_.resize(gpu_detail::kMaxSlotsArray);
  }

  const char* backend() const override { return "gpu"; }
  std::uint64_t runs_per_epoch() const override { return (slot_count_ + chunk_ - 1) / chunk_; }

  ReplayValue run(const Model& m, const std::vector<Stimulus>& stimuli, std::uint64_t first_step) override {
    engine_.set_model(m);
    if (!stimuli.empty() || had_stimuli_) {  // tuned stimulus parameters change with the epoch
      engine_.set_stimulus(stimuli.empty() ? nullptr
                                           : std::make_shared<const StimulusTable>(stimuli, nets_, so_.seed, steps_));
      had_stimuli_ = !stimuli.empty();
    }
    cudaStream_t s = engine_.stream();
    const TangentView tv = upload_setup(make_tangent_setup(m, names_), s);
    const std::uint64_t T = static_cast<std::uint64_t>(equilibration_ + steps_);
    const std::size_t stride = 2 + P_;
    const std::uint64_t chunks = runs_per_epoch();
    for (std::uint64_t c = 0; c < chunks; ++c) {
      const std::uint64_t lo = c * chunk_;
      const EpochTap tap{g_.get(), S_.get(), y_.get(), x_.get(), x0_.get(), std::min(chunk_, slot_count_ - lo),
                         first_step, T, lo};
      engine_.enqueue_tapped_epoch(first_step, equilibration_, steps_, tap);
      const gpu_detail::TangentArgs args{tap, static_cast<std::uint64_t>(equilibration_), total_,
                                         engine_.view().stim, tv, d_partial_.get() + c * blocks_ * stride};
      gpu_detail::tangent_kernel<Model><<<blocks_, gpu_detail::kThreads, 0, s>>>(m, args);
      CASCADE_CUDA_CHECK_LAUNCH();
    }
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_partial_.get(), d_partial_.get(), chunks * blocks_ * stride * sizeof(double),
                                       cudaMemcpyDeviceToHost, s));
    CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));
    engine_.check_tapped_epoch();
    const std::vector<double> sums(h_partial_.get(), h_partial_.get() + chunks * blocks_ * stride);
    return value_from_sums(sums, P_, engine::model_dt(m), slot_count_ * static_cast<std::uint64_t>(steps_));
  }

 private:
  /// The pass's slots, self filter and its derivatives on the device, copied
  /// on the engine's stream from pinned memory (no host synchronisation).
  TangentView upload_setup(const TangentSetup& t, cudaStream_t s) {
    const std::size_t hd = t.h.size() + t.dh.size();
    if (h_filters_.size() < std::max<std::size_t>(hd, 1)) {
      h_filters_.resize(std::max<std::size_t>(hd, 1));
      d_filters_.resize(std::max<std::size_t>(hd, 1));
    }
    std::copy(t.slots.begin(), t.slots.end(), h_slots_.get());
    std::copy(t.h.begin(), t.h.end(), h_filters_.get());
    std::copy(t.dh.begin(), t.dh.end(), h_filters_.get() + t.h.size());
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(d_slots_.get(), h_slots_.get(), t.slots.size() * sizeof(Slot),
                                       cudaMemcpyHostToDevice, s));
    if (hd) CASCADE_CUDA_CHECK(cudaMemcpyAsync(d_filters_.get(), h_filters_.get(), hd * sizeof(double),
                                               cudaMemcpyHostToDevice, s));
    return TangentView{d_slots_.get(), static_cast<std::uint32_t>(t.slots.size()), t.coupling, d_filters_.get(),
                       d_filters_.get() + t.h.size(), t.H, t.rows};
  }

  gpu::GpuEngine<Model> engine_;
  std::vector<std::shared_ptr<const Network>> nets_;
  SimulatorOptions so_;
  std::vector<std::string> names_;
  std::int64_t equilibration_, steps_;
  std::uint64_t chunk_ = 1, total_ = 0, slot_count_ = 0;
  std::uint32_t P_ = 0;
  cuda::DeviceArray<double> g_, S_, y_;
  cuda::DeviceArray<std::uint8_t> x_, x0_;
  cuda::DeviceArray<Slot> d_slots_;
  cuda::PinnedArray<Slot> h_slots_;
  cuda::DeviceArray<double> d_filters_;
  cuda::PinnedArray<double> h_filters_;
  cuda::DeviceArray<double> d_partial_;
  cuda::PinnedArray<double> h_partial_;
  unsigned blocks_ = 1;
  bool had_stimuli_ = false;
};

/// The GPU runner for any tunable model, or null where it cannot take the
/// epoch (`why` says why).
template <TunableModel Model>
std::unique_ptr<EpochRunner<Model>> make_gpu_runner_for(const Model& m,
                                                        const std::vector<std::shared_ptr<const Network>>& nets,
                                                        const SimulatorOptions& options,
                                                        const std::vector<std::string>& names,
                                                        std::int64_t equilibration, std::int64_t steps,
                                                        std::string* why) {
  const TangentSetup probe = make_tangent_setup(m, names);  // refuses what no runner can take
  std::uint64_t total = 0;
  for (const auto& n : nets) total += n->n_neurons();
  const std::uint64_t slots = total * options.replicas, T = static_cast<std::uint64_t>(equilibration + steps);
  const std::uint64_t budget = gpu_free_bytes(options.device) / 4;
  if (tap_bytes(std::min<std::uint64_t>(slots, kGroup), T) > budget) {
    *why = "the tap of one group of " + std::to_string(kGroup) + " neurons needs more than a quarter of the free "
           "device memory";
    return nullptr;
  }
  (void)probe;
  return std::make_unique<GpuEpochRunner<Model>>(m, nets, options, names, equilibration, steps,
                                                 tap_slots_within(slots, T, budget));
}

}  // namespace cascade::tangent

namespace cascade::gpu {
/// tune_model's factory for a user model's GPU runner (CPU where the GPU cannot take it).
template <TunableModel Model>
EpochRunnerFactory<Model> gpu_runner_factory() {
  return [](const Model& m, const std::vector<std::shared_ptr<const Network>>& nets, const SimulatorOptions& so,
            const std::vector<std::string>& names, std::int64_t eq, std::int64_t steps)
             -> std::unique_ptr<tangent::EpochRunner<Model>> {
    std::string why;
    if (auto r = tangent::make_gpu_runner_for(m, nets, so, names, eq, steps, &why)) return r;
    return make_cpu_epoch_runner(m, nets, so, names, eq, steps);
  };
}
}  // namespace cascade::gpu
