#include "cascade/raster.hpp"

#include <cstring>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>

#include "cascade/error.hpp"

namespace cascade {

RecordDtype parse_record_dtype(std::string_view name) {
  if (name == "uint8") return RecordDtype::kUInt8;
  if (name == "int32") return RecordDtype::kInt32;
  if (name == "float32") return RecordDtype::kFloat32;
  if (name == "bool") return RecordDtype::kBool;
  throw Error("record dtype '" + std::string(name) + "': expected one of uint8, int32, float32, bool");
}

const char* record_dtype_name(RecordDtype d) {
  switch (d) {
    case RecordDtype::kUInt8: return "uint8";
    case RecordDtype::kInt32: return "int32";
    case RecordDtype::kFloat32: return "float32";
    case RecordDtype::kBool: return "bool";
  }
  return "?";
}

std::size_t record_dtype_size(RecordDtype d) {
  return (d == RecordDtype::kInt32 || d == RecordDtype::kFloat32) ? 4 : 1;
}

NpyDtype to_npy_dtype(RecordDtype d) {
  switch (d) {
    case RecordDtype::kUInt8: return NpyDtype::kUInt8;
    case RecordDtype::kInt32: return NpyDtype::kInt32;
    case RecordDtype::kFloat32: return NpyDtype::kFloat32;
    case RecordDtype::kBool: return NpyDtype::kBool;
  }
  return NpyDtype::kUInt8;
}

Raster::Raster(RecordDtype dtype, std::size_t replicas, std::size_t neurons, std::size_t steps)
    : dtype_(dtype), replicas_(replicas), neurons_(neurons), steps_(steps),
      bytes_(replicas * neurons * steps * record_dtype_size(dtype), 0) {}

std::uint32_t Raster::at(std::size_t replica, std::size_t neuron, std::size_t step) const {
  const std::size_t idx = (replica * neurons_ + neuron) * steps_ + step;
  switch (dtype_) {
    case RecordDtype::kUInt8: case RecordDtype::kBool: return bytes_[idx];
    case RecordDtype::kInt32: { std::int32_t v; std::memcpy(&v, bytes_.data() + idx * 4, 4); return static_cast<std::uint32_t>(v); }
    case RecordDtype::kFloat32: { float v; std::memcpy(&v, bytes_.data() + idx * 4, 4); return static_cast<std::uint32_t>(v); }
  }
  return 0;
}

std::uint64_t Raster::total() const {
  std::uint64_t s = 0;
  const std::size_t n = replicas_ * neurons_ * steps_;
  for (std::size_t i = 0; i < n; ++i) s += at(0, 0, i);
  return s;
}

void Raster::write_npy(const std::string& path) const {
  cascade::write_npy(path, to_npy_dtype(dtype_), shape(), bytes_.data());
}

namespace {
std::uint64_t meminfo_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t value = 0;
  std::string unit;
  while (in >> key >> value >> unit)
    if (key == "MemAvailable:") return value * 1024;
  return 0;
}

/// What the address-space limit (ulimit -v, RLIMIT_AS) leaves this process:
/// the limit less the virtual memory it maps now; no limit: the maximum.
std::uint64_t address_space_left() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_AS, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  statm >> pages;
  const std::uint64_t used = pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return lim.rlim_cur > used ? lim.rlim_cur - used : 0;
}
}  // namespace

std::uint64_t available_memory_bytes() {
  const std::uint64_t physical = meminfo_available(), limit = address_space_left();
  if (physical == 0) return limit == UINT64_MAX ? 0 : limit;  // unknown physical memory: the limit, if any
  return std::min(physical, limit);
}

}  // namespace cascade
