// CUDA plumbing shared by the kernels' host code: checked calls that throw
// with file:line and the CUDA error string (a logging-only variant for
// destructors), move-only device and pinned host buffers, an owned stream.
// Only .cu files include this header.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cascade/error.hpp"

#define CASCADE_CUDA_CHECK(call)                                                                   \
  do {                                                                                             \
    const cudaError_t err_ = (call);                                                               \
    if (err_ != cudaSuccess)                                                                       \
      ::cascade::throw_at(__FILE__, __LINE__, std::string(#call) + ": " + cudaGetErrorString(err_)); \
  } while (0)

/// After a launch: configuration errors now, execution errors at the next sync.
#define CASCADE_CUDA_CHECK_LAUNCH() CASCADE_CUDA_CHECK(cudaGetLastError())

/// For destructors: log, never throw.
#define CASCADE_CUDA_LOG(call)                                                                      \
  do {                                                                                              \
    const cudaError_t err_ = (call);                                                                \
    if (err_ != cudaSuccess)                                                                        \
      std::fprintf(stderr, "cascade: %s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_)); \
  } while (0)

namespace cascade::cuda {

/// Device memory for n elements of T; move-only.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t n) { resize(n); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  ~DeviceArray() { release(); }

  void resize(std::size_t n) {
    if (n == n_ && ptr_) return;
    release();
    if (n) CASCADE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr_), n * sizeof(T)));
    n_ = n;
  }
  void upload(const std::vector<T>& v) {
    resize(v.size());
    if (!v.empty()) CASCADE_CUDA_CHECK(cudaMemcpy(ptr_, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> v(n_);
    if (n_) CASCADE_CUDA_CHECK(cudaMemcpy(v.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }
  void zero(cudaStream_t s) const {
    if (n_) CASCADE_CUDA_CHECK(cudaMemsetAsync(ptr_, 0, n_ * sizeof(T), s));
  }
  T* get() const { return ptr_; }
  std::size_t size() const { return n_; }
  std::size_t bytes() const { return n_ * sizeof(T); }

 private:
  void release() {
    if (ptr_) CASCADE_CUDA_LOG(cudaFree(ptr_));
    ptr_ = nullptr;
    n_ = 0;
  }
  T* ptr_ = nullptr;
  std::size_t n_ = 0;
};

/// Page-locked host memory (asynchronous copies); move-only.
template <class T>
class PinnedArray {
 public:
  PinnedArray() = default;
  PinnedArray(const PinnedArray&) = delete;
  PinnedArray& operator=(const PinnedArray&) = delete;
  PinnedArray(PinnedArray&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  ~PinnedArray() {
    if (ptr_) CASCADE_CUDA_LOG(cudaFreeHost(ptr_));
  }
  void resize(std::size_t n) {
    if (n == n_ && ptr_) return;
    if (ptr_) CASCADE_CUDA_LOG(cudaFreeHost(ptr_));
    ptr_ = nullptr;
    n_ = 0;
    if (n) CASCADE_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&ptr_), n * sizeof(T)));
    n_ = n;
  }
  T* get() const { return ptr_; }
  std::size_t size() const { return n_; }

 private:
  T* ptr_ = nullptr;
  std::size_t n_ = 0;
};

/// An owned stream (each engine has its own: no global state). Blocking with
/// respect to the legacy default stream, so plain cudaMemcpy uploads are
/// ordered before the kernels that read them.
class Stream {
 public:
  Stream() { CASCADE_CUDA_CHECK(cudaStreamCreate(&s_)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (s_) CASCADE_CUDA_LOG(cudaStreamDestroy(s_));
  }
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  explicit Event(unsigned flags = cudaEventDefault) { CASCADE_CUDA_CHECK(cudaEventCreateWithFlags(&e_, flags)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (e_) CASCADE_CUDA_LOG(cudaEventDestroy(e_));
  }
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

/// A captured graph, instantiated; move-only.
class GraphExec {
 public:
  GraphExec() = default;
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;
  ~GraphExec() { reset(); }
  void reset() {
    if (exec_) CASCADE_CUDA_LOG(cudaGraphExecDestroy(exec_));
    if (graph_) CASCADE_CUDA_LOG(cudaGraphDestroy(graph_));
    exec_ = nullptr;
    graph_ = nullptr;
  }
  void adopt(cudaGraph_t g) {
    reset();
    graph_ = g;
    CASCADE_CUDA_CHECK(cudaGraphInstantiate(&exec_, graph_, 0));
  }
  cudaGraphExec_t get() const { return exec_; }

 private:
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace cascade::cuda
