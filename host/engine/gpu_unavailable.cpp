// The GPU engine's entry points in a build without CUDA: no devices, and a
// clear refusal when the GPU is asked for.
#include "cascade/engine/gpu_engine.hpp"

namespace cascade {

bool gpu_engine_built() { return false; }
int gpu_device_count() { return 0; }
std::vector<std::string> gpu_device_descriptions() { return {}; }
std::uint64_t gpu_free_bytes(int) { return 0; }

std::unique_ptr<Engine> make_gpu_engine(const AnyModel&, std::vector<std::shared_ptr<const Network>>,
                                        const SimulatorOptions&) {
  throw Error("backend 'gpu': this build of Cascade has no CUDA engine (configured without nvcc or with "
              "CASCADE_ENABLE_CUDA=OFF); use --backend cpu or auto");
}

}  // namespace cascade

#include "kernels/gpu_floors.hpp"  // the benchmark's floors (not installed)

namespace cascade {
GpuFloors measure_gpu_floors(int) { return {}; }
}  // namespace cascade

#include "cascade/models/registry.hpp"
#include "tune/gpu_epoch_runner.hpp"

namespace cascade::tangent {
template <class Model>
std::unique_ptr<EpochRunner<Model>> make_gpu_epoch_runner(const Model&, const std::vector<std::shared_ptr<const Network>>&,
                                                          const SimulatorOptions&, const std::vector<std::string>&,
                                                          std::int64_t, std::int64_t, std::string*) {
  throw Error("tune on the GPU: this build of Cascade has no CUDA engine");
}
template std::unique_ptr<EpochRunner<BernoulliGLM>> make_gpu_epoch_runner(
    const BernoulliGLM&, const std::vector<std::shared_ptr<const Network>>&, const SimulatorOptions&,
    const std::vector<std::string>&, std::int64_t, std::int64_t, std::string*);
template std::unique_ptr<EpochRunner<PoissonGLM>> make_gpu_epoch_runner(
    const PoissonGLM&, const std::vector<std::shared_ptr<const Network>>&, const SimulatorOptions&,
    const std::vector<std::string>&, std::int64_t, std::int64_t, std::string*);
template std::unique_ptr<EpochRunner<RectifiedLNP>> make_gpu_epoch_runner(
    const RectifiedLNP&, const std::vector<std::shared_ptr<const Network>>&, const SimulatorOptions&,
    const std::vector<std::string>&, std::int64_t, std::int64_t, std::string*);
template std::unique_ptr<EpochRunner<RectifiedSAM>> make_gpu_epoch_runner(
    const RectifiedSAM&, const std::vector<std::shared_ptr<const Network>>&, const SimulatorOptions&,
    const std::vector<std::string>&, std::int64_t, std::int64_t, std::string*);
}  // namespace cascade::tangent
