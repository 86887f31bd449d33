// The GPU engine's recording: a ring of `rows` steps on the device (counts,
// and g and phi(g) when asked for), copied out per chunk into one of two
// pinned buffers while the next chunk runs, then delivered to the caller's
// RecordTarget.
#pragma once
#include <cstdint>

#include "cascade/engine/engine.hpp"
#include "cascade/extend/gpu/cuda_util.hpp"
#include "cascade/extend/gpu/device_view.hpp"

namespace cascade::gpu {

class Recorder {
 public:
  /// Sizes the ring (128 MiB or an eighth of the free device memory at most;
  /// `chunk_steps` > 0 caps it) and fills the recording fields of `r`.
  Recorder(const RecordTarget* target, std::uint32_t replicas, std::size_t total_neurons, std::int64_t chunk_steps,
           RunView& r);
  bool recording() const { return target_ != nullptr; }
  std::int64_t rows() const { return rows_; }
  std::uint64_t bytes() const { return index_.bytes() + counts_.bytes() + g_.bytes() + rate_.bytes(); }
  /// Enqueues the copy of the ring's first `rows` rows into pinned buffer `buffer`.
  void copy_out(int buffer, std::int64_t rows, cudaStream_t s) const;
  /// Writes pinned buffer `buffer` (rows [0, rows)) into the target at
  /// window step `first` (after its copy has completed).
  void deliver(int buffer, std::int64_t first, std::int64_t rows) const;

 private:
  const RecordTarget* target_ = nullptr;
  std::uint32_t replicas_ = 0;
  std::uint64_t row_len_ = 0;
  std::int64_t rows_ = 1;
  cuda::DeviceArray<std::int32_t> index_;
  cuda::DeviceArray<std::uint8_t> counts_;
  cuda::DeviceArray<float> g_, rate_;
  cuda::PinnedArray<std::uint8_t> h_counts_[2];
  cuda::PinnedArray<float> h_g_[2], h_rate_[2];
};

}  // namespace cascade::gpu
