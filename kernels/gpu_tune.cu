// tune's GPU runner for the built-in tunable models (kernels/gpu_tune.cuh).
#include "cascade/models/registry.hpp"
#include "tune/gpu_epoch_runner.hpp"
#include "cascade/extend/gpu/gpu_tune.cuh"

namespace cascade::tangent {

template <class Model>
std::unique_ptr<EpochRunner<Model>> make_gpu_epoch_runner(const Model& m,
                                                          const std::vector<std::shared_ptr<const Network>>& nets,
                                                          const SimulatorOptions& options,
                                                          const std::vector<std::string>& names,
                                                          std::int64_t equilibration, std::int64_t steps,
                                                          std::string* why) {
  return make_gpu_runner_for(m, nets, options, names, equilibration, steps, why);
}

#define CASCADE_GPU_TUNE(Model)                                                                              \
  template std::unique_ptr<EpochRunner<Model>> make_gpu_epoch_runner(                                         \
      const Model&, const std::vector<std::shared_ptr<const Network>>&, const SimulatorOptions&,              \
      const std::vector<std::string>&, std::int64_t, std::int64_t, std::string*);
CASCADE_GPU_TUNE(BernoulliGLM)
CASCADE_GPU_TUNE(PoissonGLM)
CASCADE_GPU_TUNE(RectifiedLNP)
CASCADE_GPU_TUNE(RectifiedSAM)
#undef CASCADE_GPU_TUNE

}  // namespace cascade::tangent
