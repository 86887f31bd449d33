// Build-wide macros shared by host code and CUDA kernels.
#pragma once

#if defined(__CUDACC__)
#define CASCADE_HD __host__ __device__
#define CASCADE_HD_INLINE __host__ __device__ __forceinline__
#else
#define CASCADE_HD
#define CASCADE_HD_INLINE inline
#endif

namespace cascade {
/// Library version (semantic).
inline constexpr const char* kVersion = "0.1.0";
/// Version of the random stream layout (docs/rng.md). Any change to the
/// counter packing, the samplers or the draw order bumps it, because the same
/// seed would then give different spikes.
inline constexpr const char* kRngStreamVersion = "philox4x32-10/cascade-v1";
}  // namespace cascade
