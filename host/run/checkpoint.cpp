// Checkpoint files: magic, format version, the run's settings and place,
// its counters and the engine state, a checksum; written via FILE.tmp,
// fsync and rename.
#include "checkpoint.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "cascade/error.hpp"
#include "core/limits.hpp"

namespace cascade::run {
namespace {

constexpr char kMagic[] = "CASCADE-CHECKPOINT";
constexpr std::uint32_t kVersion = 2;  // 2: the settings as JSON (1: the command line)

std::uint64_t fnv1a(const std::string& bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class Writer {
 public:
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
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(const std::string& bytes, std::string path) : b_(bytes), path_(std::move(path)) {}
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
  std::string str() {
    const std::uint64_t n = u64();
    need(n);
    std::string s = b_.substr(at_, n);
    at_ += n;
    return s;
  }
  template <class T>
  std::vector<T> vec() {
    const std::uint64_t n = u64();
    if (n > (b_.size() - at_) / sizeof(T)) truncated();
    std::vector<T> v(n);
    raw(v.data(), n * sizeof(T));
    return v;
  }
  void raw(void* p, std::size_t n) {
    need(n);
    std::memcpy(p, b_.data() + at_, n);
    at_ += n;
  }

 private:
  void need(std::uint64_t n) {
    if (n > b_.size() - at_) truncated();
  }
  [[noreturn]] void truncated() { throw Error("checkpoint '" + path_ + "' is truncated or corrupt"); }
  const std::string& b_;
  std::string path_;
  std::size_t at_ = 0;
};

}  // namespace

void write_checkpoint(const std::string& path, const CheckpointData& c) {
  Writer w;
  w.raw(kMagic, sizeof kMagic);
  w.u64(kVersion);
  w.str(c.settings);
  w.str(c.cwd);
  w.u64(c.batch);
  w.i64(c.eq_done);
  w.i64(c.rec_done);
  w.i64(c.steps_before);
  w.u64(c.has_totals);
  const RunSummary& t = c.totals;
  w.u64(t.recorded_neuron_steps);
  w.u64(t.recorded_spike_count);
  w.u64(t.spiking_neuron_steps);
  w.u64(t.synaptic_events);
  w.u64(t.rate_capped);
  w.u64(t.counts_saturated);
  w.f64(t.wall_seconds);
  w.i64(t.threads);
  w.f64(t.dt);
  w.str(t.backend);
  for (const auto* files : {&c.inputs, &c.outputs}) {
    w.u64(files->size());
    for (const FileIdentity& f : *files) {
      w.str(f.path);
      w.u64(f.size);
      w.u64(f.checksum);
    }
  }
  w.u64(c.has_state);
  w.u64(c.state.step);
  w.u64(c.state.advance);
  EngineState::for_each_array(c.state, [&](const auto& a, const char*, StateExtent) { w.vec(a); });
  const std::uint64_t sum = fnv1a(w.bytes());
  w.u64(sum);

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("--checkpoint '" + path + "': cannot write '" + tmp + "': " + std::strerror(errno));
  const std::string& bytes = w.bytes();
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0 &&
                  ::fsync(::fileno(f)) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("--checkpoint '" + path + "': cannot write it: " + std::strerror(ok ? errno : err));
  }
}

CheckpointData read_checkpoint(const std::string& path) {
  const std::uint64_t size = regular_file_size(path, "the checkpoint");
  require_memory(size, "checkpoint '" + path + "'");
  const std::string bytes = read_small_file(path, "the checkpoint", size);
  if (bytes.size() < sizeof kMagic + 16 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw Error("checkpoint '" + path + "': not a Cascade checkpoint (written by cascade simulate --checkpoint)");
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (fnv1a(bytes.substr(0, bytes.size() - 8)) != stored)
    throw Error("checkpoint '" + path + "' is truncated or corrupt (checksum mismatch)");
  Reader r(bytes, path);
  char magic[sizeof kMagic];
  r.raw(magic, sizeof magic);
  const std::uint64_t version = r.u64();
  if (version != kVersion)
    throw Error("checkpoint '" + path + "': format version " + std::to_string(version) + ", this Cascade reads " +
                std::to_string(kVersion));
  CheckpointData c;
  c.settings = r.str();
  c.cwd = r.str();
  c.batch = r.u64();
  c.eq_done = r.i64();
  c.rec_done = r.i64();
  c.steps_before = r.i64();
  c.has_totals = r.u64() != 0;
  RunSummary& t = c.totals;
  t.recorded_neuron_steps = r.u64();
  t.recorded_spike_count = r.u64();
  t.spiking_neuron_steps = r.u64();
  t.synaptic_events = r.u64();
  t.rate_capped = r.u64();
  t.counts_saturated = r.u64();
  t.wall_seconds = r.f64();
  t.threads = static_cast<int>(r.i64());
  t.dt = r.f64();
  t.backend = r.str();
  for (auto* files : {&c.inputs, &c.outputs}) {
    const std::uint64_t n_files = r.u64();
    if (n_files > bytes.size()) throw Error("checkpoint '" + path + "' is truncated or corrupt");
    for (std::uint64_t k = 0; k < n_files; ++k) {
      FileIdentity f;
      f.path = r.str();
      f.size = r.u64();
      f.checksum = r.u64();
      files->push_back(std::move(f));
    }
  }
  c.has_state = r.u64() != 0;
  c.state.step = r.u64();
  c.state.advance = r.u64() != 0;
  EngineState::for_each_array(c.state, [&](auto& a, const char*, StateExtent) {
    a = r.vec<typename std::decay_t<decltype(a)>::value_type>();
  });
  return c;
}

FileIdentity identify_file(const std::string& path, const std::atomic<bool>* stop) {
  FileIdentity id;
  id.path = path;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::uint64_t h = 1469598103934665603ull;
  std::vector<unsigned char> buf(std::size_t{1} << 20);
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) {
    id.size += n;
    for (std::size_t k = 0; k < n; ++k) {
      h ^= buf[k];
      h *= 1099511628211ull;
    }
    if (stop && stop->load(std::memory_order_relaxed)) break;
  }
  std::fclose(f);
  id.checksum = h;
  return id;
}

CheckpointLock::CheckpointLock(const std::string& checkpoint) : path_(checkpoint + ".lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("--checkpoint '" + checkpoint + "': cannot create its lock '" + path_ + "': " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw Error("checkpoint '" + checkpoint + "' is in use by another cascade run (its lock '" + path_ +
                "' is held); wait for that run to end, or stop it, before resuming");
  }
}

CheckpointLock::~CheckpointLock() {
  if (fd_ >= 0) ::close(fd_);
}

void CheckpointLock::remove() {
  if (fd_ < 0) return;
  std::remove(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace cascade::run
