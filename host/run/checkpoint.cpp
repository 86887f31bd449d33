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

#include "binary_file.hpp"
#include "cascade/error.hpp"
#include "core/limits.hpp"

namespace cascade::run {
namespace {

constexpr char kMagic[] = "CASCADE-CHECKPOINT";
constexpr std::uint32_t kVersion = 3;  // 3: FNV-1a's standard offset basis; 2: the settings as JSON (1: the command line)

}  // namespace

void write_checkpoint(const std::string& path, const CheckpointData& c) {
  BinaryWriter w(kMagic, kVersion);
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
  w.files(c.inputs);
  w.files(c.outputs);
  w.u64(c.has_state);
  w.state(c.state);
  w.write(path, "--checkpoint");
}

CheckpointData read_checkpoint(const std::string& path) {
  BinaryReader r(path, kMagic, kVersion, "checkpoint '" + path + "'", "cascade simulate --checkpoint");
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
  c.inputs = r.files();
  c.outputs = r.files();
  c.has_state = r.u64() != 0;
  r.state(c.state);
  return c;
}

FileIdentity identify_file(const std::string& path, const std::atomic<bool>* stop) {
  FileIdentity id;
  id.path = path;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::uint64_t h = kFnvOffset;
  std::vector<unsigned char> buf(std::size_t{1} << 20);
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) {
    id.size += n;
    h = fnv1a_update(h, buf.data(), n);
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
