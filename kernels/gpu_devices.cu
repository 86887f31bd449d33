// The GPU side of include/cascade/engine/gpu_engine.hpp.
#include <sstream>

#include "cascade/engine/gpu_engine.hpp"
#include "gpu_models.cuh"

namespace cascade {

bool gpu_engine_built() { return true; }

int gpu_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

std::vector<std::string> gpu_device_descriptions() {
  std::vector<std::string> out;
  const int n = gpu_device_count();
  int driver = 0;
  cudaDriverGetVersion(&driver);
  for (int d = 0; d < n; ++d) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) continue;
    std::ostringstream os;
    os.precision(3);
    os << p.name << " (sm_" << p.major << p.minor << ", " << static_cast<double>(p.totalGlobalMem) / 1073741824.0
       << " GiB, " << p.multiProcessorCount << " SMs, driver " << driver / 1000 << "." << (driver % 1000) / 10 << ")";
    out.push_back(os.str());
  }
  return out;
}

std::uint64_t gpu_free_bytes(int device) {
  if (device < 0 || device >= gpu_device_count()) return 0;
  if (cudaSetDevice(device) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  std::size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return free_b;
}

std::unique_ptr<Engine> make_gpu_engine(const AnyModel& model, std::vector<std::shared_ptr<const Network>> nets,
                                        const SimulatorOptions& options) {
  return std::visit([&](const auto& m) { return gpu::make_builtin(m, std::move(nets), options); }, model);
}

}  // namespace cascade
