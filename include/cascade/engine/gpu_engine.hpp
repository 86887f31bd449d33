// The GPU engine's face to host code (no CUDA types): whether this build has
// it, the devices, and the engine for each built-in model. The kernels live
// in kernels/ (docs/gpu.md); a user model runs on the GPU from a .cu file
// through cascade/extend/gpu/gpu_engine.cuh (make_gpu_engine_for).
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
