// The binary files a run writes for later runs (checkpoints, saved states):
// a magic string, a format version, little-endian fields, a checksum at the
// end; written via FILE.tmp, fsync and rename, refused whole when the
// checksum or the magic is wrong.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cascade/engine/engine.hpp"
#include "cascade/error.hpp"

namespace cascade::run {

/// A file as a checkpoint or a saved state remembers it: its path, length
/// and content checksum (partial outputs: the length only, checksum 0).
struct FileIdentity {
  std::string path;
  std::uint64_t size = 0;
  std::uint64_t checksum = 0;
};

/// FNV-1a (64 bit): checksums of the files a run writes and of its inputs.
inline constexpr std::uint64_t kFnvOffset = 14695981039346656037ull, kFnvPrime = 1099511628211ull;
std::uint64_t fnv1a_update(std::uint64_t h, const void* data, std::size_t n);
std::uint64_t fnv1a(const std::string& bytes);

class BinaryWriter {
 public:
  BinaryWriter(const char* magic, std::uint64_t version);
  void u64(std::uint64_t v) { raw(&v, 8); }
  void i64(std::int64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    out_.append(s);
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    u64(v.size());
    raw(v.data(), v.size() * sizeof(T));
  }
  void files(const std::vector<FileIdentity>& files);
  void state(const EngineState& s);
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  /// Adds the checksum and writes atomically; errors name `option` and the path.
  void write(const std::string& path, const std::string& option);

 private:
  std::string out_;
};

class BinaryReader {
 public:
  /// Reads and verifies the whole file (regular, fits in memory, magic,
  /// checksum, version); `what` names it in messages ("checkpoint 'c.ckpt'"),
  /// `written_by` says what makes such files.
  BinaryReader(const std::string& path, const char* magic, std::uint64_t version, const std::string& what,
               const std::string& written_by);
  std::uint64_t u64() {
    std::uint64_t v;
    raw(&v, 8);
    return v;
  }
  std::int64_t i64() {
    std::int64_t v;
    raw(&v, 8);
    return v;
  }
  double f64() {
    double v;
    raw(&v, 8);
    return v;
  }
  std::string str();
  template <class T>
  std::vector<T> vec() {
    const std::uint64_t n = u64();
    if (n > (b_.size() - at_) / sizeof(T)) truncated();
    std::vector<T> v(n);
    raw(v.data(), n * sizeof(T));
    return v;
  }
  std::vector<FileIdentity> files();
  void state(EngineState& s);
  void raw(void* p, std::size_t n) {
    need(n);
    std::memcpy(p, b_.data() + at_, n);
    at_ += n;
  }

 private:
  void need(std::uint64_t n) {
    if (n > b_.size() - at_) truncated();
  }
  [[noreturn]] void truncated() const;
  std::string b_, what_;
  std::size_t at_ = 0;
};

}  // namespace cascade::run
