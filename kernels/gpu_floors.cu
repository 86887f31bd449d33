// Hardware floors for the benchmark (docs/performance.md): the costs below
// which a step of a given strategy cannot go on this device.
#include <random>
#include <vector>

#include "cascade/engine/gpu_engine.hpp"
#include "gpu_floors.hpp"
#include "cascade/extend/gpu/cuda_util.hpp"

namespace cascade {
namespace {

__global__ void empty_kernel() {}

__global__ void barrier_kernel(int n, int* sink) {
  int x = 0;
  for (int k = 0; k < n; ++k) {
    __syncthreads();
    x += threadIdx.x & k;
  }
  if (x == -1) *sink = x;
}

__global__ void atomic_kernel(const std::uint32_t* target, std::int64_t n, unsigned long long* acc) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    atomicAdd(acc + target[i], 3ull);
}

/// Milliseconds of `body` run between two events (after one warm-up call).
template <class F>
double timed_ms(cudaStream_t s, F&& body) {
  body();
  cuda::Event a, b;
  CASCADE_CUDA_CHECK(cudaEventRecord(a.get(), s));
  body();
  CASCADE_CUDA_CHECK(cudaEventRecord(b.get(), s));
  CASCADE_CUDA_CHECK(cudaEventSynchronize(b.get()));
  float ms = 0;
  CASCADE_CUDA_CHECK(cudaEventElapsedTime(&ms, a.get(), b.get()));
  return ms;
}

}  // namespace

GpuFloors measure_gpu_floors(int device) {
  GpuFloors f;
  if (gpu_device_count() <= device) return f;
  CASCADE_CUDA_CHECK(cudaSetDevice(device));
  cuda::Stream stream;
  cudaStream_t s = stream.get();
  const int launches = 2000;
  f.launch_us = timed_ms(s, [&] {
                  for (int k = 0; k < launches; ++k) empty_kernel<<<1, 32, 0, s>>>();
                  CASCADE_CUDA_CHECK_LAUNCH();
                }) * 1000.0 / launches;

  cudaGraph_t g = nullptr;
  CASCADE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int k = 0; k < 200; ++k) empty_kernel<<<1, 32, 0, s>>>();
  CASCADE_CUDA_CHECK(cudaStreamEndCapture(s, &g));
  cuda::GraphExec exec;
  exec.adopt(g);
  f.graph_node_us = timed_ms(s, [&] {
                      for (int k = 0; k < 10; ++k) CASCADE_CUDA_CHECK(cudaGraphLaunch(exec.get(), s));
                    }) * 1000.0 / 2000.0;

  cuda::DeviceArray<int> sink(1);
  const int barriers = 100000;
  const double with = timed_ms(s, [&] { barrier_kernel<<<1, 512, 0, s>>>(barriers, sink.get()); });
  const double without = timed_ms(s, [&] { barrier_kernel<<<1, 512, 0, s>>>(1, sink.get()); });
  f.block_barrier_us = (with - without) * 1000.0 / barriers;

  const std::int64_t n = 1 << 26, targets = 1000000;
  std::vector<std::uint32_t> t(n);
  std::mt19937 gen(1);
  for (auto& x : t) x = gen() % targets;
  cuda::DeviceArray<std::uint32_t> dt;
  dt.upload(t);
  cuda::DeviceArray<unsigned long long> acc(targets);
  acc.zero(s);
  f.atomic_per_s = static_cast<double>(n) / (timed_ms(s, [&] {
                     atomic_kernel<<<1024, 256, 0, s>>>(dt.get(), n, acc.get());
                     CASCADE_CUDA_CHECK_LAUNCH();
                   }) / 1000.0);

  const std::size_t bytes = std::size_t{1} << 31;
  cuda::DeviceArray<std::uint8_t> src(bytes), dst(bytes);
  src.zero(s);
  f.copy_bytes_per_s = 2.0 * static_cast<double>(bytes) / (timed_ms(s, [&] {
                         CASCADE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, s));
                       }) / 1000.0);
  CASCADE_CUDA_CHECK(cudaStreamSynchronize(s));
  return f;
}

}  // namespace cascade
