// The GPU engine. GpuEngineBase (gpu_engine_base.cu, gpu_run.cu) holds the
// device state (device_state.hpp), the strategy that lays steps out
// (strategy.hpp), the recording (recorder.hpp) and the run loop;
// GpuEngine<Model> adds the kernels that depend on the model
// (model_kernels.cuh). Include this from a .cu file to run a user model on
// the GPU:
//   auto sim = cascade::Simulator::with_engine(networks, options, [&](const auto& nets, const auto& opt) {
//     return cascade::gpu::make_gpu_engine_for(MyModel{}, nets, opt);
//   });
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/extend/engine_layer.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/network.hpp"
#include "cascade/stimulus.hpp"
#include "cuda_util.hpp"
#include "device_view.hpp"
#include "model_kernels.cuh"
#include "step_kernels.cuh"

namespace cascade::gpu {

// The engine's parts, private to the library (kernels/).
class DeviceState;
class Strategy;
struct BatchFacts;
struct NetworkPlacement;

struct ModelInfo {
  const char* name;
  bool allows_self_coupling;
  FilterSpec spec;
  double dt;
};

class GpuEngineBase : public Engine {
 public:
  GpuEngineBase(const ModelInfo& info, std::unique_ptr<ModelKernels> kernels,
                std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& opt);
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

  GpuStrategy strategy() const;

  // tune (kernels/gpu_tune.cuh). Enqueues one epoch on the engine's stream
  // and returns at once: a fresh random state drawn at `first_step`,
  // `equilibration` steps with the stimuli off, `steps` steps with stimulus
  // time 0 at the first, every step writing the tap (device memory). No
  // recording, no graph (the model changes every epoch), no host sync.
  void enqueue_tapped_epoch(std::uint64_t first_step, std::int64_t equilibration, std::int64_t steps,
                            const EpochTap& tap);
  /// After the stream has been synchronised: throws the simulation's error
  /// when the epoch met a non-finite rate.
  void check_tapped_epoch() const;
  cudaStream_t stream() const { return stream_->get(); }
  const EngineView& view() const;
  /// Device memory the engine holds now.
  std::uint64_t device_bytes() const;

 protected:
  /// New filter values of the same lengths (GpuEngine::set_model).
  void set_filters(const FilterSpec& spec);
  ModelKernels& model_kernels() { return *kernels_; }

 private:
  BatchFacts batch_facts(const cudaDeviceProp& prop, const NetworkPlacement& placement) const;
  void check_device_memory(const NetworkPlacement& placement, const BatchFacts& facts) const;
  void load_activation_from(const double* device_activation);
  /// A fresh random state at step_ (enqueued; `scratch`: the activation's buffer).
  void draw_initial_state(cuda::DeviceArray<double>& scratch);
  /// Fresh counters and the spike lists rebuilt from xlast, then the
  /// strategy's start: what every run and epoch begins with.
  void begin_steps(const RunView& r, bool graphs) const;
  [[noreturn]] void throw_bad(const BadRecord& b, std::uint64_t run_first_step) const;
  RunView run_view(std::uint64_t record_from, std::int64_t stimulus_start, bool stimulus_on) const;
  int select_device() const;  // makes opt_.device current (every public entry point)

  ModelInfo info_;
  std::unique_ptr<ModelKernels> kernels_;
  engine::EngineShape shape_;
  std::vector<std::shared_ptr<const Network>> nets_;
  SimulatorOptions opt_;
  engine::BatchLayout layout_;
  std::string device_name_;
  std::optional<cuda::Stream> stream_;  // created once the device is selected
  std::unique_ptr<DeviceState> dev_;
  std::unique_ptr<Strategy> strategy_;
  std::shared_ptr<const StimulusTable> stimulus_;

  // tune's epochs: the activation drawn for a fresh state, the epoch's first
  // step, and the non-finite-rate records (pinned: "none", the epoch's).
  cuda::DeviceArray<double> tap_activation_;
  cuda::PinnedArray<BadRecord> h_tap_bad_;
  std::uint64_t tap_first_step_ = 0;

  std::uint64_t step_ = 0;
  bool advance_ = true;
  bool running_ = false;

  friend class RunLoop;
};

/// The GPU engine for any model satisfying models/model_api.hpp.
template <class Model>
class GpuEngine final : public GpuEngineBase {
 public:
  GpuEngine(const Model& model, std::vector<std::shared_ptr<const Network>> nets, const SimulatorOptions& opt)
      : GpuEngineBase(info_of(model), std::make_unique<KernelsFor<Model>>(model), std::move(nets), opt) {}

  /// tune: new parameter values; the filters' lengths must stay as they are.
  void set_model(const Model& model) {
    model.validate();
    set_filters(model.filters());
    static_cast<KernelsFor<Model>&>(model_kernels()).model = model;
  }

 private:
  static ModelInfo info_of(const Model& m) {
    m.validate();
    return ModelInfo{Model::kName, Model::kAllowsSelfCoupling, m.filters(), engine::model_dt(m)};
  }
};

template <class Model>
std::unique_ptr<Engine> make_gpu_engine_for(const Model& model, std::vector<std::shared_ptr<const Network>> nets,
                                            const SimulatorOptions& opt) {
  return std::make_unique<GpuEngine<Model>>(model, std::move(nets), opt);
}

}  // namespace cascade::gpu
