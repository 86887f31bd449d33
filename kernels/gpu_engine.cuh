// The GPU engine. GpuEngineBase (gpu_engine_base.cu) owns the device state
// and runs the host side of every strategy; GpuEngine<Model> adds the two
// kernels that depend on the model (the fused update and the block kernel).
// Include this from a .cu file to run a user model on the GPU:
//   auto sim = cascade::Simulator::with_engine(networks, options, [&](const auto& nets, const auto& opt) {
//     return cascade::gpu::make_gpu_engine_for(MyModel{}, nets, opt);
//   });
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/engine/engine_layer.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus.hpp"
#include "cuda_util.hpp"
#include "device_stimulus.hpp"
#include "device_view.hpp"
#include "step_kernels.cuh"

namespace cascade::gpu {

struct ModelInfo {
  const char* name;
  bool allows_self_coupling;
  FilterSpec spec;
  double dt;
};

class GpuEngineBase : public Engine {
 public:
  GpuEngineBase(const ModelInfo& info, std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& opt);
  ~GpuEngineBase() override;

  RunSummary run(const RunOptions& options, const RecordTarget* target) override;
  void reset_random_state() override;
  void set_initial_spikes(std::span<const std::uint8_t> counts) override;
  void set_initial_activation(std::span<const double> activation) override;
  void inspect(std::vector<double>* input, std::vector<double>* rate, std::int64_t stimulus_time) const override;
  void set_stimulus(std::shared_ptr<const StimulusTable> table) override;
  EngineState save_state() const override;
  void load_state(const EngineState& state) override;
  std::uint64_t current_step() const override { return step_; }
  std::string backend_name() const override { return "gpu"; }
  double dt() const override { return info_.dt; }

  GpuStrategy strategy() const { return strategy_; }

  // tune (kernels/gpu_tune.cu). Enqueues one epoch on the engine's stream and
  // returns at once: a fresh random state drawn at `first_step`,
  // `equilibration` steps with the stimuli off, `steps` steps with stimulus
  // time 0 at the first, every step writing the tap (device memory). No
  // recording, no graph (the model changes every epoch), no host sync.
  void enqueue_tapped_epoch(std::uint64_t first_step, std::int64_t equilibration, std::int64_t steps,
                            const EpochTap& tap);
  /// After the stream has been synchronised: throws the simulation's error
  /// when the epoch met a non-finite rate.
  void check_tapped_epoch() const;
  cudaStream_t stream() const { return stream_->get(); }
  const EngineView& view() const { return view_; }
  /// Device memory the engine holds now.
  std::uint64_t device_bytes() const;

 protected:
  /// New filter values of the same lengths (GpuEngine::set_model).
  void set_filters(const FilterSpec& spec);
  virtual void launch_update(const EngineView& v, const RunView& r, StepRef sref, int advance, int blocks,
                             cudaStream_t s) const = 0;
  virtual void launch_fused(const EngineView& v, const RunView& r, StepRef sref, int advance, int blocks,
                            cudaStream_t s) const = 0;
  virtual void launch_block(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps,
                            int advance_first, int threads, std::size_t smem, bool state, std::uint32_t max_n,
                            cudaStream_t s) const = 0;
  virtual void launch_cluster(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps,
                              int advance_first, int threads, std::size_t smem, std::uint32_t cluster,
                              std::uint32_t slice, cudaStream_t s) const = 0;

 private:
  void clear_state() const;
  void load_activation_from(const double* device_activation);
  void build_csc();
  void enqueue_steps(const RunView& r, std::uint64_t first, std::int64_t n, bool advance_first,
                     GpuStrategy strategy, bool allow_graph = true) const;
  void scatter_pending(const RunView& r) const;
  [[noreturn]] void throw_bad(const BadRecord& b, std::uint64_t run_first_step) const;
  void enqueue_one_step(const RunView& r, StepRef sref, bool advance, GpuStrategy strategy) const;
  void capture_graph(const RunView& r, GpuStrategy strategy) const;

  ModelInfo info_;
  engine::EngineShape shape_;
  std::vector<std::shared_ptr<const Network>> nets_;
  SimulatorOptions opt_;
  bool per_edge_ = false;
  std::size_t ring_len_ = 0, self_len_ = 0, total_neurons_ = 0, slots_ = 0, max_n_ = 0;
  std::vector<DevUnit> units_host_;
  std::vector<std::size_t> net_offset_;
  GpuStrategy strategy_ = GpuStrategy::kStep;
  std::string device_name_;
  int sms_ = 1;
  std::size_t smem_optin_ = 48 * 1024;
  int block_threads_ = 32;
  bool scatter_by_block_ = false;  // step strategies: one block (not one warp) per spiking slot
  bool block_state_ = false;       // block strategy: the whole unit state fits in shared memory
  std::size_t block_smem_ = 0;     // its dynamic shared memory per block
  std::uint32_t cluster_size_ = 0, cluster_slice_ = 0;  // cluster strategy: blocks per unit, neurons per block
  int cluster_threads_ = 32;
  std::size_t cluster_smem_ = 0;

  int select_device() const;  // makes opt_.device current (every public entry point)
  std::optional<cuda::Stream> stream_;  // created once the device is selected
  // Network and state (device).
  cuda::DeviceArray<DevNet> d_nets_;
  cuda::DeviceArray<DevUnit> d_units_;
  cuda::DeviceArray<std::uint32_t> d_slot_unit_;
  cuda::DeviceArray<std::int64_t> d_row_ptr_;
  cuda::DeviceArray<std::int32_t> d_post_, d_q_;
  cuda::DeviceArray<std::int64_t> d_col_ptr_;
  cuda::DeviceArray<std::int32_t> d_csc_pre_, d_csc_q_;
  cuda::DeviceArray<double> d_self_filter_;
  cuda::DeviceArray<double> d_S_;
  cuda::DeviceArray<std::int64_t> d_acc_, d_acc_next_, d_ring_;
  cuda::DeviceArray<std::uint8_t> d_xhist_, d_xlast_;
  cuda::DeviceArray<std::uint32_t> d_list_slot_[2];
  cuda::DeviceArray<std::uint8_t> d_list_count_[2];
  cuda::DeviceArray<std::uint32_t> d_list_len_, d_unit_len_;
  cuda::DeviceArray<DevCounters> d_counters_;
  cuda::DeviceArray<BadRecord> d_bad_;
  cuda::DeviceArray<std::uint64_t> d_step_base_;
  // Stimuli (device copies of the table).
  std::shared_ptr<const StimulusTable> stimulus_;
  cuda::DeviceStimulus d_stim_;

  // tune's epochs: the activation drawn for a fresh state, the epoch's first
  // step and its non-finite-rate record (pinned).
  cuda::DeviceArray<double> d_tap_activation_;
  cuda::PinnedArray<BadRecord> h_tap_bad_;
  std::uint64_t tap_first_step_ = 0;

  EngineView view_{};
  mutable cuda::GraphExec graph_;
  std::uint64_t step_ = 0;
  bool advance_ = true;
  bool running_ = false;
};

/// The GPU engine for any model satisfying models/model_api.hpp.
template <class Model>
class GpuEngine final : public GpuEngineBase {
 public:
  GpuEngine(const Model& model, std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& opt)
      : GpuEngineBase(info_of(model), std::move(nets), opt), model_(model) {}

  /// tune: new parameter values; the filters' lengths must stay as they are.
  void set_model(const Model& model) {
    model.validate();
    set_filters(model.filters());
    model_ = model;
  }

 private:
  static ModelInfo info_of(const Model& m) {
    m.validate();
    double dt = 1.0;
    if constexpr (requires { m.dt; }) dt = static_cast<double>(m.dt);
    return ModelInfo{Model::kName, Model::kAllowsSelfCoupling, m.filters(), dt};
  }

  void launch_update(const EngineView& v, const RunView& r, StepRef sref, int advance, int blocks,
                     cudaStream_t s) const override {
    update_kernel<Model><<<blocks, kStepThreads, 0, s>>>(model_, v, r, sref, advance);
    CASCADE_CUDA_CHECK_LAUNCH();
  }

  void launch_fused(const EngineView& v, const RunView& r, StepRef sref, int advance, int blocks,
                    cudaStream_t s) const override {
    fused_kernel<Model><<<blocks, kStepThreads, 0, s>>>(model_, v, r, sref, advance);
    CASCADE_CUDA_CHECK_LAUNCH();
  }

  void launch_block(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps, int advance_first,
                    int threads, std::size_t smem, bool state, std::uint32_t max_n, cudaStream_t s) const override {
    if (state) launch_block_as<true>(v, r, s0, nsteps, advance_first, threads, smem, max_n, s);
    else launch_block_as<false>(v, r, s0, nsteps, advance_first, threads, smem, max_n, s);
  }

  void launch_cluster(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps, int advance_first,
                      int threads, std::size_t smem, std::uint32_t cluster, std::uint32_t slice,
                      cudaStream_t s) const override {
    auto* kernel = cluster_kernel<Model>;
    if (smem > 48 * 1024)
      CASCADE_CUDA_CHECK(
          cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
    if (cluster > 8) CASCADE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = dim3(v.n_units * cluster);
    cfg.blockDim = dim3(static_cast<unsigned>(threads));
    cfg.dynamicSmemBytes = smem;
    cfg.stream = s;
    cudaLaunchAttribute attr[1];
    attr[0].id = cudaLaunchAttributeClusterDimension;
    attr[0].val.clusterDim.x = cluster;
    attr[0].val.clusterDim.y = 1;
    attr[0].val.clusterDim.z = 1;
    cfg.attrs = attr;
    cfg.numAttrs = 1;
    CASCADE_CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, model_, v, r, s0, nsteps, advance_first, slice));
  }

  template <bool kState>
  void launch_block_as(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps, int advance_first,
                       int threads, std::size_t smem, std::uint32_t max_n, cudaStream_t s) const {
    // A property of the kernel, shared by every engine of this model: set it
    // for this launch each time.
    if (smem > 48 * 1024)
      CASCADE_CUDA_CHECK(cudaFuncSetAttribute(block_kernel<Model, kState>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              static_cast<int>(smem)));
    block_kernel<Model, kState><<<v.n_units, threads, smem, s>>>(model_, v, r, s0, nsteps, advance_first, max_n);
    CASCADE_CUDA_CHECK_LAUNCH();
  }

  Model model_;
};

template <class Model>
std::unique_ptr<Engine> make_gpu_engine_for(const Model& model, std::vector<std::shared_ptr<const Network>> nets,
                                            const SimulatorOptions& opt) {
  return std::make_unique<GpuEngine<Model>>(model, std::move(nets), opt);
}

}  // namespace cascade::gpu
