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

namespace cascade {
GpuFloors measure_gpu_floors(int) { return {}; }
}  // namespace cascade

#include "cascade/tune/replay_gpu.hpp"

namespace cascade::replay {
std::vector<double> device_unit_sums(const AnyModel&, const std::vector<std::shared_ptr<const Network>>&,
                                     const SpikeRecord&, const StimulusTable*, const std::vector<Slot>&, int) {
  throw Error("replay on the GPU: this build of Cascade has no CUDA engine");
}
}  // namespace cascade::replay

#include "cascade/tune/epoch_runner.hpp"

namespace cascade::replay {
std::unique_ptr<EpochRunner> make_gpu_epoch_runner(const AnyModel&, const std::vector<std::shared_ptr<const Network>>&,
                                                   const SimulatorOptions&, const std::vector<std::string>&,
                                                   std::int64_t, std::int64_t) {
  throw Error("tune on the GPU: this build of Cascade has no CUDA engine");
}
}  // namespace cascade::replay
