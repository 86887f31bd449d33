// Instantiation helper: one .cu file per built-in model, so nvcc compiles
// them in parallel.
#pragma once
#include "cascade/models/registry.hpp"
#include "cascade/extend/gpu/gpu_engine.cuh"

namespace cascade::gpu {
std::unique_ptr<Engine> make_builtin(const BernoulliGLM& m, std::vector<std::shared_ptr<const Network>> n, const SimulatorOptions& o);
std::unique_ptr<Engine> make_builtin(const PoissonGLM& m, std::vector<std::shared_ptr<const Network>> n, const SimulatorOptions& o);
std::unique_ptr<Engine> make_builtin(const RectifiedLNP& m, std::vector<std::shared_ptr<const Network>> n, const SimulatorOptions& o);
std::unique_ptr<Engine> make_builtin(const ThresholdSAM& m, std::vector<std::shared_ptr<const Network>> n, const SimulatorOptions& o);
std::unique_ptr<Engine> make_builtin(const RectifiedSAM& m, std::vector<std::shared_ptr<const Network>> n, const SimulatorOptions& o);
}  // namespace cascade::gpu

#define CASCADE_GPU_BUILTIN(Model)                                                                        \
  namespace cascade::gpu {                                                                                \
  std::unique_ptr<Engine> make_builtin(const Model& m, std::vector<std::shared_ptr<const Network>> n,     \
                                       const SimulatorOptions& o) {                                       \
    return make_gpu_engine_for(m, std::move(n), o);                                                       \
  }                                                                                                       \
  }
