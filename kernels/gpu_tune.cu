// tune's epochs on the GPU (tune/epoch_runner.hpp): one GpuEngine lives
// across epochs; each epoch it simulates from a fresh state while every
// neuron-step writes its g, S, drive and count to a device tap; then the
// tangent kernel forms the objective's sums and derivatives from the tap with
// the CPU runner's formulas (tune/tangent.hpp). The host sums the blocks'
// partials in block order (deterministic) and runs Adam: one small copy and
// one synchronisation per epoch, no network upload, no spike download.
//
// The tangent kernel spreads one slot's epoch over a warp's lanes (a chunk
// of steps each): the tangent recursion dS(s) = a dS(s-1) + c(s) is linear
// with a constant factor, so each lane runs it from zero over its chunk, a
// warp scan composes the chunks (factor a^len, offset), and each lane re-walks
// its chunk from the true incoming value adding the window's terms. The
// epoch's steps then cost about steps/32 dependent iterations, not steps.
#include <algorithm>
#include <limits>

#include "cascade/engine/gpu_engine.hpp"
#include "cascade/tune/epoch_runner.hpp"
#include "cascade/tune/tangent.hpp"
#include "gpu_engine.cuh"

namespace cascade::replay {
namespace {

constexpr int kThreads = 128;                // four warps: four slots at a time per block
constexpr unsigned kMaxTangentBlocks = 4096;  // fixed grid cap: the partials' order depends on slots only

struct TangentArgs {
  EpochTap tap;
  std::uint64_t window_start;
  std::uint64_t total_neurons;  // per replica
  StimulusView stim;
  const Slot* slots;
  std::uint32_t n_slots;
  double* partial;  // [blocks][2 + n_slots]: phi, min kink, d phi / d(slot q)
};

__device__ __forceinline__ double warp_reduce(double v, bool minimum) {
  for (int o = 16; o > 0; o >>= 1) {
    const double w = __shfl_down_sync(0xffffffffu, v, o);
    v = minimum ? fmin(v, w) : v + w;
  }
  return v;
}

template <class Model>
__global__ void __launch_bounds__(kThreads) tangent_kernel(Model m, Coupling cf, TangentArgs a) {
  __shared__ Slot sl[kMaxSlots];
  __shared__ double h[kMaxSelf], dh_beta[kMaxSelf], dh_rel[kMaxSelf];
  __shared__ double red[kThreads / 32];
  const std::uint32_t P_ = a.n_slots;
  const int H = self_length(m);
  for (std::uint32_t q = threadIdx.x; q < P_; q += blockDim.x) sl[q] = a.slots[q];
  for (int k = threadIdx.x; k < H; k += blockDim.x) self_filter_terms(m, k, h[k], dh_beta[k], dh_rel[k]);
  __syncthreads();
  const SelfTerms self{h, dh_beta, dh_rel, H};
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
      e = cf.a * e + tangent_input<Model>(cf, a.tap, slot, s);
      f *= cf.a;
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
    if (s0 < s1) slot_masks(a.stim, sl, P_, slot % a.total_neurons, in_mask);
    for (std::uint64_t s = s0; s < s1; ++s) {
      dS = cf.a * dS + tangent_input<Model>(cf, a.tap, slot, s);
      if (s >= a.window_start)
        step_terms(m, cf, self, a.tap, slot, s, a.window_start, dS, a.stim, sl, P_, slot_dtv, in_mask, phi, dphi,
                   kink);
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

template <class Model>
class GpuEpochRunner final : public EpochRunner {
 public:
  GpuEpochRunner(const Model& m, std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& so,
                 std::vector<Slot> slots, std::int64_t equilibration, std::int64_t steps)
      : engine_(m, nets, so), nets_(std::move(nets)), so_(so), slots_(std::move(slots)),
        equilibration_(equilibration), steps_(steps) {
    for (const auto& n : nets_) total_ += n->n_neurons();
    slot_count_ = total_ * so.replicas;
    const std::uint64_t T = static_cast<std::uint64_t>(equilibration + steps);
    g_.resize(T * slot_count_);
    S_.resize(T * slot_count_);
    y_.resize(T * slot_count_);
    x_.resize(T * slot_count_);
    x0_.resize(slot_count_);
    tap_ = EpochTap{g_.get(), S_.get(), y_.get(), x_.get(), x0_.get(), slot_count_, 0, T};
    d_slots_.upload(slots_);
    blocks_ = static_cast<unsigned>(std::min<std::uint64_t>(kMaxTangentBlocks, (slot_count_ + 3) / 4));
    const std::size_t stride = 2 + slots_.size();
    d_partial_.resize(blocks_ * stride);
    h_partial_.resize(blocks_ * stride);
  }

  const char* backend() const override { return "gpu"; }

  ReplayValue run(const AnyModel& model, const std::vector<Stimulus>& stimuli, std::uint64_t first_step) override {
    const Model& m = std::get<Model>(model);
    engine_.set_model(m);
    if (!stimuli.empty() || had_stimuli_) {  // tuned stimulus parameters change with the epoch
      engine_.set_stimulus(stimuli.empty() ? nullptr
                                           : std::make_shared<const StimulusTable>(stimuli, nets_, so_.seed));
      had_stimuli_ = !stimuli.empty();
    }
    tap_.first_step = first_step;
    engine_.enqueue_tapped_epoch(first_step, equilibration_, steps_, tap_);
    cudaStream_t s = engine_.stream();
    const std::uint32_t P_ = static_cast<std::uint32_t>(slots_.size());
    const TangentArgs args{tap_, static_cast<std::uint64_t>(equilibration_), total_, engine_.view().stim,
                           d_slots_.get(), P_, d_partial_.get()};
    tangent_kernel<Model><<<blocks_, kThreads, 0, s>>>(m, coupling_of(m), args);
    CASCADE_CUDA_CHECK_LAUNCH();
    const std::size_t stride = 2 + P_;
    CASCADE_CUDA_CHECK(cudaMemcpyAsync(h_partial_.get(), d_partial_.get(), blocks_ * stride * sizeof(double),
                                       cudaMemcpyDeviceToHost, s));
    CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));
    engine_.check_tapped_epoch();
    double phi = 0.0, kink = std::numeric_limits<double>::infinity();
    std::vector<double> d(P_, 0.0);
    for (unsigned b = 0; b < blocks_; ++b) {
      const double* in = h_partial_.get() + static_cast<std::size_t>(b) * stride;
      phi += in[0];
      kink = std::min(kink, in[1]);
      for (std::uint32_t q = 0; q < P_; ++q) d[q] += in[2 + q];
    }
    return value_from_sums(phi, kink, d, static_cast<double>(m.dt), slot_count_ * static_cast<std::uint64_t>(steps_));
  }

 private:
  gpu::GpuEngine<Model> engine_;
  std::vector<std::shared_ptr<const Network>> nets_;
  SimulatorOptions so_;
  std::vector<Slot> slots_;
  std::int64_t equilibration_, steps_;
  std::uint64_t total_ = 0, slot_count_ = 0;
  cuda::DeviceArray<double> g_, S_, y_;
  cuda::DeviceArray<std::uint8_t> x_, x0_;
  cuda::DeviceArray<Slot> d_slots_;
  cuda::DeviceArray<double> d_partial_;
  cuda::PinnedArray<double> h_partial_;
  unsigned blocks_ = 1;
  EpochTap tap_;
  bool had_stimuli_ = false;
};

}  // namespace

std::unique_ptr<EpochRunner> make_gpu_epoch_runner(const AnyModel& model,
                                                   const std::vector<std::shared_ptr<const Network>>& nets,
                                                   const SimulatorOptions& options,
                                                   const std::vector<std::string>& names, std::int64_t equilibration,
                                                   std::int64_t steps) {
  std::vector<Slot> slots;
  for (const auto& n : names) slots.push_back(parse_slot(n));
  if (slots.size() > kMaxSlots) return nullptr;
  std::uint64_t total = 0;
  for (const auto& n : nets) total += n->n_neurons();
  const std::uint64_t tap = tap_bytes(total * options.replicas, static_cast<std::uint64_t>(equilibration + steps));
  if (tap > gpu_free_bytes(options.device) / 4) return nullptr;
  return std::visit(
      [&](const auto& m) -> std::unique_ptr<EpochRunner> {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, ThresholdSAM>) {
          throw Error("tune: threshold_sam has no rate objective");
        } else {
          if (self_length(m) > static_cast<int>(kMaxSelf)) return nullptr;
          return std::make_unique<GpuEpochRunner<M>>(m, nets, options, std::move(slots), equilibration, steps);
        }
      },
      model);
}

}  // namespace cascade::replay
