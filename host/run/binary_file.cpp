#include "binary_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/limits.hpp"

namespace cascade::run {

std::uint64_t fnv1a_update(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t k = 0; k < n; ++k) {
    h ^= p[k];
    h *= kFnvPrime;
  }
  return h;
}

std::uint64_t fnv1a(const std::string& bytes) { return fnv1a_update(kFnvOffset, bytes.data(), bytes.size()); }

BinaryWriter::BinaryWriter(const char* magic, std::uint64_t version) {
  raw(magic, std::strlen(magic) + 1);
  u64(version);
}

void BinaryWriter::files(const std::vector<FileIdentity>& files) {
  u64(files.size());
  for (const FileIdentity& f : files) {
    str(f.path);
    u64(f.size);
    u64(f.checksum);
  }
}

void BinaryWriter::state(const EngineState& s) {
  u64(s.step);
  u64(s.advance);
  EngineState::for_each_array(s, [&](const auto& a, const char*, StateExtent) { vec(a); });
}

void BinaryWriter::write(const std::string& path, const std::string& option) {
  u64(fnv1a(out_));
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(option + " '" + path + "': cannot write '" + tmp + "': " + std::strerror(errno));
  const bool ok = std::fwrite(out_.data(), 1, out_.size(), f) == out_.size() && std::fflush(f) == 0 &&
                  ::fsync(::fileno(f)) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(option + " '" + path + "': cannot write it: " + std::strerror(ok ? errno : err));
  }
}

BinaryReader::BinaryReader(const std::string& path, const char* magic, std::uint64_t version, const std::string& what,
                           const std::string& written_by)
    : what_(what) {
  const std::uint64_t size = regular_file_size(path, "the " + what.substr(0, what.find(' ')));
  require_memory(size, what);
  b_ = read_small_file(path, what, size);
  const std::size_t m = std::strlen(magic) + 1;
  if (b_.size() < m + 16 || std::memcmp(b_.data(), magic, m) != 0)
    throw Error(what + ": not a Cascade " + what.substr(0, what.find(' ')) + " (written by " + written_by + ")");
  // A plausible other version first (an older file is named as such, not as
  // corrupt, whatever its checksum); then the checksum.
  std::uint64_t v = 0;
  std::memcpy(&v, b_.data() + m, 8);
  const auto other_version = [&] {
    return Error(what + ": format version " + std::to_string(v) + ", this Cascade reads " + std::to_string(version) +
                 " (written by another version of cascade)");
  };
  if (v != version && v < 1000) throw other_version();
  std::uint64_t stored = 0;
  std::memcpy(&stored, b_.data() + b_.size() - 8, 8);
  if (v != version || fnv1a(b_.substr(0, b_.size() - 8)) != stored)
    throw Error(what + " is truncated or corrupt (checksum mismatch)");
  b_.resize(b_.size() - 8);
  at_ = m + 8;
}

std::string BinaryReader::str() {
  const std::uint64_t n = u64();
  need(n);
  std::string s = b_.substr(at_, n);
  at_ += n;
  return s;
}

std::vector<FileIdentity> BinaryReader::files() {
  const std::uint64_t n = u64();
  if (n > b_.size()) truncated();
  std::vector<FileIdentity> out;
  for (std::uint64_t k = 0; k < n; ++k) {
    FileIdentity f;
    f.path = str();
    f.size = u64();
    f.checksum = u64();
    out.push_back(std::move(f));
  }
  return out;
}

void BinaryReader::state(EngineState& s) {
  s.step = u64();
  s.advance = u64() != 0;
  EngineState::for_each_array(s, [&](auto& a, const char*, StateExtent) {
    a = vec<typename std::decay_t<decltype(a)>::value_type>();
  });
}

void BinaryReader::truncated() const { throw Error(what_ + " is truncated or corrupt"); }

}  // namespace cascade::run
