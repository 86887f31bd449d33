#include <cuda_runtime.h>

#include <sstream>
#include <stdexcept>

#include "cascade/error.hpp"
#include "cascade/math.hpp"
#include "cascade/models/model_api.hpp"
#include "cascade/rng.hpp"
#include "cascade/stimulus/stimulus_eval.hpp"
#include "cascade/extend/gpu/cuda_util.hpp"
#include "shared_math_probe.hpp"

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

__global__ void stimulus_kernel(StimulusView v, const std::uint32_t* net, const std::uint32_t* local,
                                const std::uint32_t* n_local, const std::int64_t* times, int n_times, int n,
                                double* out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  double tv[kMaxStimuli];
  for (int k = 0; k < n_times; ++k) {
    stimulus_time_values(v, times[k], tv);
    out[static_cast<std::size_t>(k) * n + i] = stimulus_input(v, tv, net[i], n_local[i], local[i], i, times[k]);
  }
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

template <class T>
T* upload(DeviceBuffer<T>& b, const std::vector<T>& v) {
  if (!v.empty()) CASCADE_CUDA_CHECK(cudaMemcpy(b.ptr, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return b.ptr;
}

}  // namespace

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

std::vector<double> evaluate_stimulus_on_device(const StimulusTable& table, const StimulusProbeLayout& layout,
                                                const std::vector<std::int64_t>& times) {
  const int n = static_cast<int>(layout.net.size());
  DeviceBuffer<StimulusParams> params(table.params().size());
  DeviceBuffer<std::int64_t> events(table.events().size()), mask_offset(table.mask_offset().size()),
      loaded_offset(table.loaded_offset().size()), loaded_steps(table.loaded_steps().size()), dtimes(times.size());
  DeviceBuffer<std::uint8_t> masks(table.masks().size());
  DeviceBuffer<double> loaded(table.loaded().size()), out(times.size() * layout.net.size());
  DeviceBuffer<std::uint32_t> net(layout.net.size()), local(layout.local.size()), n_local(layout.n_local.size());
  StimulusView v;
  v.count = table.count();
  v.n_nets = table.n_nets();
  v.params = upload(params, table.params());
  v.events = upload(events, table.events());
  v.masks = upload(masks, table.masks());
  v.mask_offset = upload(mask_offset, table.mask_offset());
  v.loaded = upload(loaded, table.loaded());
  v.loaded_offset = upload(loaded_offset, table.loaded_offset());
  v.loaded_steps = upload(loaded_steps, table.loaded_steps());
  stimulus_kernel<<<(n + 127) / 128, 128>>>(v, upload(net, layout.net), upload(local, layout.local),
                                            upload(n_local, layout.n_local), upload(dtimes, times),
                                            static_cast<int>(times.size()), n, out.ptr);
  CASCADE_CUDA_CHECK(cudaGetLastError());
  std::vector<double> host(times.size() * layout.net.size());
  CASCADE_CUDA_CHECK(cudaMemcpy(host.data(), out.ptr, host.size() * sizeof(double), cudaMemcpyDeviceToHost));
  return host;
}

}  // namespace cascade::kernels
