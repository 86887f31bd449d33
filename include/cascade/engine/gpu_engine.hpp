// The GPU engine's face to host code (no CUDA types): whether this build has
// it, the devices, and the engine for each built-in model. The kernels live
// in kernels/ (docs/gpu.md); a user model runs on the GPU from a .cu file
// through kernels/gpu_engine.cuh (make_gpu_engine_for).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/network.hpp"

namespace cascade {

/// True when this build has the CUDA engine (nvcc was found at configure time).
bool gpu_engine_built();
/// Usable CUDA devices (0 without a CUDA build, a driver or a device).
int gpu_device_count();
/// One line per device: name, compute capability, memory, SMs, driver.
std::vector<std::string> gpu_device_descriptions();
/// Free memory of a device in bytes (0 without one).
std::uint64_t gpu_free_bytes(int device = 0);

/// The GPU engine for a built-in model. Throws cascade::Error when the build
/// has no CUDA or no device is present.
std::unique_ptr<Engine> make_gpu_engine(const AnyModel& model, std::vector<std::shared_ptr<const Network>> nets,
                                        const SimulatorOptions& options);

/// Which engine `backend` means here: kAuto picks the GPU when the build has
/// CUDA and a device is present; kGpu without one throws saying why.
Backend resolve_backend(Backend backend);

}  // namespace cascade

namespace cascade {

/// Hardware floors measured on a device (the benchmark reports achieved
/// fractions of them): zero-filled when no device is present.
struct GpuFloors {
  double launch_us = 0;         // an empty kernel, launched and waited for, per launch (back to back)
  double graph_node_us = 0;     // an empty kernel node replayed from a CUDA graph
  double block_barrier_us = 0;  // __syncthreads in one 512-thread block
  double atomic_per_s = 0;      // int64 atomicAdd into 10^6 random targets
  double copy_bytes_per_s = 0;  // device-to-device copy, bytes read + written
};
GpuFloors measure_gpu_floors(int device = 0);

}  // namespace cascade
