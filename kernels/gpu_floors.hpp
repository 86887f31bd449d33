// The hardware floors the benchmark reports achieved fractions of
// (bench/cascade_bench.cpp; no CUDA types): measured on a device, zero-filled
// when none is present. Not part of the installed API.
#pragma once

namespace cascade {

struct GpuFloors {
  double launch_us = 0;         // an empty kernel, launched and waited for, per launch (back to back)
  double graph_node_us = 0;     // an empty kernel node replayed from a CUDA graph
  double block_barrier_us = 0;  // __syncthreads in one 512-thread block
  double atomic_per_s = 0;      // int64 atomicAdd into 10^6 random targets
  double copy_bytes_per_s = 0;  // device-to-device copy, bytes read + written
};
GpuFloors measure_gpu_floors(int device = 0);

}  // namespace cascade
