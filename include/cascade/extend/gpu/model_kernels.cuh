// The kernels that depend on the model, behind one interface: the strategies
// (host code compiled once into the library, kernels/strategy_*.cu) launch
// them for any model, and GpuEngine<Model> (gpu_engine.cuh) provides them as
// KernelsFor<Model>, instantiated wherever the model's engine is.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cuda_util.hpp"
#include "step_kernels.cuh"

namespace cascade::gpu {

class ModelKernels {
 public:
  virtual ~ModelKernels() = default;
  /// The per-step update of every slot (after a scatter or a pull).
  virtual void update(const EngineView& v, const RunView& r, StepRef sref, int advance, int blocks,
                      cudaStream_t s) const = 0;
  /// One fused step: update, then each spiking warp scatters into the next step's buffer.
  virtual void fused(const EngineView& v, const RunView& r, StepRef sref, int advance, int blocks,
                     cudaStream_t s) const = 0;
  /// A block per unit runs `nsteps` steps from s0 in one launch.
  virtual void block(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps, int advance_first,
                     int threads, std::size_t smem, bool state, std::uint32_t max_n, cudaStream_t s) const = 0;
  /// A thread-block cluster per unit runs `nsteps` steps from s0 in one launch.
  virtual void cluster(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps, int advance_first,
                       int threads, std::size_t smem, std::uint32_t cluster, std::uint32_t slice,
                       cudaStream_t s) const = 0;
};

template <class Model>
class KernelsFor final : public ModelKernels {
 public:
  explicit KernelsFor(const Model& m) : model(m) {}
  Model model;  // the values the kernels run with (tune replaces them)

  void update(const EngineView& v, const RunView& r, StepRef sref, int advance, int blocks,
              cudaStream_t s) const override {
    update_kernel<Model><<<blocks, kStepThreads, 0, s>>>(model, v, r, sref, advance);
    CASCADE_CUDA_CHECK_LAUNCH();
  }

  void fused(const EngineView& v, const RunView& r, StepRef sref, int advance, int blocks,
             cudaStream_t s) const override {
    fused_kernel<Model><<<blocks, kStepThreads, 0, s>>>(model, v, r, sref, advance);
    CASCADE_CUDA_CHECK_LAUNCH();
  }

  void block(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps, int advance_first,
             int threads, std::size_t smem, bool state, std::uint32_t max_n, cudaStream_t s) const override {
    if (state) block_as<true>(v, r, s0, nsteps, advance_first, threads, smem, max_n, s);
    else block_as<false>(v, r, s0, nsteps, advance_first, threads, smem, max_n, s);
  }

  void cluster(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps, int advance_first,
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
    CASCADE_CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, model, v, r, s0, nsteps, advance_first, slice));
  }

 private:
  template <bool kState>
  void block_as(const EngineView& v, const RunView& r, std::uint64_t s0, std::int64_t nsteps, int advance_first,
                int threads, std::size_t smem, std::uint32_t max_n, cudaStream_t s) const {
    // A property of the kernel, shared by every engine of this model: set it
    // for this launch each time.
    if (smem > 48 * 1024)
      CASCADE_CUDA_CHECK(cudaFuncSetAttribute(block_kernel<Model, kState>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              static_cast<int>(smem)));
    block_kernel<Model, kState><<<v.n_units, threads, smem, s>>>(model, v, r, s0, nsteps, advance_first, max_n);
    CASCADE_CUDA_CHECK_LAUNCH();
  }
};

}  // namespace cascade::gpu
