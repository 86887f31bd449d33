// tune's GPU runner for the built-in models (kernels/gpu_tune.cu; no CUDA
// types here). A user model's GPU runner is made from a .cu file with
// kernels/gpu_tune.cuh.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/network.hpp"
#include "cascade/extend/epoch_runner.hpp"

namespace cascade::tangent {

/// The GPU runner, or null where it cannot take the epoch (then `why` says
/// why: too many parameters for its kernel, a tap larger than a quarter of
/// the free device memory for one group of slots). Built for BernoulliGLM,
/// PoissonGLM, RectifiedLNP and RectifiedSAM; a build without CUDA throws.
template <class Model>
std::unique_ptr<EpochRunner<Model>> make_gpu_epoch_runner(const Model& m,
                                                          const std::vector<std::shared_ptr<const Network>>& nets,
                                                          const SimulatorOptions& options,
                                                          const std::vector<std::string>& names,
                                                          std::int64_t equilibration, std::int64_t steps,
                                                          std::string* why);

}  // namespace cascade::tangent
