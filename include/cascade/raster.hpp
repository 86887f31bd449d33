// A dense recording of spike counts, shape [replicas, neurons, steps].
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/npy.hpp"

namespace cascade {

/// The dtype recorded counts are stored as (the reference's store_as_dtype).
/// uint8 saturates at 255 (reported); bool records "spiked at all".
enum class RecordDtype { kUInt8, kInt32, kFloat32, kBool };

RecordDtype parse_record_dtype(std::string_view name);
const char* record_dtype_name(RecordDtype d);
std::size_t record_dtype_size(RecordDtype d);
NpyDtype to_npy_dtype(RecordDtype d);

class Raster {
 public:
  Raster() = default;
  Raster(RecordDtype dtype, std::size_t replicas, std::size_t neurons, std::size_t steps);

  RecordDtype dtype() const { return dtype_; }
  std::size_t replicas() const { return replicas_; }
  std::size_t neurons() const { return neurons_; }
  std::size_t steps() const { return steps_; }
  std::vector<std::size_t> shape() const { return {replicas_, neurons_, steps_}; }
  std::size_t size_bytes() const { return bytes_.size(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint8_t* data() { return bytes_.data(); }

  /// The stored value as a count (bool: 0/1; float32: the exact count).
  std::uint32_t at(std::size_t replica, std::size_t neuron, std::size_t step) const;
  void set(std::size_t replica, std::size_t neuron, std::size_t step, std::uint32_t count) {
    const std::size_t idx = (replica * neurons_ + neuron) * steps_ + step;
    switch (dtype_) {
      case RecordDtype::kUInt8: bytes_[idx] = static_cast<std::uint8_t>(count > 255u ? 255u : count); break;
      case RecordDtype::kBool: bytes_[idx] = count ? 1 : 0; break;
      case RecordDtype::kInt32: {
        const std::int32_t v = static_cast<std::int32_t>(count);
        std::uint8_t* p = bytes_.data() + idx * 4;
        __builtin_memcpy(p, &v, 4);
        break;
      }
      case RecordDtype::kFloat32: {
        const float v = static_cast<float>(count);
        std::uint8_t* p = bytes_.data() + idx * 4;
        __builtin_memcpy(p, &v, 4);
        break;
      }
    }
  }
  /// Sum of all recorded counts.
  std::uint64_t total() const;

  void write_npy(const std::string& path) const;

 private:
  RecordDtype dtype_ = RecordDtype::kUInt8;
  std::size_t replicas_ = 0, neurons_ = 0, steps_ = 0;
  std::vector<std::uint8_t> bytes_;
};

/// Bytes of physical memory available now (MemAvailable), or 0 if unknown.
std::uint64_t available_memory_bytes();

}  // namespace cascade
