#include <cuda_runtime.h>

#include <sstream>
#include <stdexcept>

#include "cascade/error.hpp"
#include "cascade/math.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/rng.hpp"
#include "shared_math_probe.hpp"

#define CASCADE_CUDA_CHECK(call)                                                                   \
  do {                                                                                             \
    const cudaError_t err_ = (call);                                                               \
    if (err_ != cudaSuccess)                                                                       \
      ::cascade::throw_at(__FILE__, __LINE__, std::string(#call) + ": " + cudaGetErrorString(err_)); \
  } while (0)

namespace cascade::kernels {
namespace {

__global__ void math_kernel(const double* x, double* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const double v = x[i];
  out[5 * i + 0] = math::exp(v);
  out[5 * i + 1] = math::log(v);
  out[5 * i + 2] = math::sin(v);
  out[5 * i + 3] = math::cos(v);
  out[5 * i + 4] = math::sigmoid(v);
}

__global__ void sample_kernel(const double* mu, std::uint32_t* out, int n, std::uint64_t seed, std::uint64_t step) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const NeuronStream rng{seed, step, 0u, 0u, static_cast<std::uint32_t>(i)};
  out[2 * i + 0] = emit_poisson(mu[i], rng).count;
  out[2 * i + 1] = emit_bernoulli(mu[i] / (1.0 + mu[i]), rng).count;
}

template <class T>
struct DeviceBuffer {
  T* ptr = nullptr;
  explicit DeviceBuffer(std::size_t n) { CASCADE_CUDA_CHECK(cudaMalloc(&ptr, n * sizeof(T) + 1)); }
  ~DeviceBuffer() {
    if (ptr) cudaFree(ptr);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

}  // namespace

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

std::vector<double> evaluate_math_on_device(const std::vector<double>& x) {
  const int n = static_cast<int>(x.size());
  DeviceBuffer<double> dx(x.size()), dout(5 * x.size());
  CASCADE_CUDA_CHECK(cudaMemcpy(dx.ptr, x.data(), x.size() * sizeof(double), cudaMemcpyHostToDevice));
  math_kernel<<<(n + 255) / 256, 256>>>(dx.ptr, dout.ptr, n);
  CASCADE_CUDA_CHECK(cudaGetLastError());
  std::vector<double> out(5 * x.size());
  CASCADE_CUDA_CHECK(cudaMemcpy(out.data(), dout.ptr, out.size() * sizeof(double), cudaMemcpyDeviceToHost));
  return out;
}

std::vector<std::uint32_t> sample_on_device(const std::vector<double>& mu, std::uint64_t seed, std::uint64_t step) {
  const int n = static_cast<int>(mu.size());
  DeviceBuffer<double> dmu(mu.size());
  DeviceBuffer<std::uint32_t> dout(2 * mu.size());
  CASCADE_CUDA_CHECK(cudaMemcpy(dmu.ptr, mu.data(), mu.size() * sizeof(double), cudaMemcpyHostToDevice));
  sample_kernel<<<(n + 255) / 256, 256>>>(dmu.ptr, dout.ptr, n, seed, step);
  CASCADE_CUDA_CHECK(cudaGetLastError());
  std::vector<std::uint32_t> out(2 * mu.size());
  CASCADE_CUDA_CHECK(cudaMemcpy(out.data(), dout.ptr, out.size() * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace cascade::kernels
