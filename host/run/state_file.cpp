#include "state_file.hpp"

#include <cstdint>

#include "cascade/error.hpp"

namespace cascade::run {

namespace {
constexpr char kMagic[] = "CASCADE-STATE";
constexpr std::uint64_t kVersion = 2;  // 2: FNV-1a's standard offset basis
}  // namespace

void write_state_file(const std::string& path, const SavedState& s) {
  BinaryWriter w(kMagic, kVersion);
  w.str(s.model);
  w.u64(s.replicas);
  w.u64(s.seed);
  w.str(s.networks);
  w.files(s.inputs);
  w.state(s.state);
  w.write(path, "--save-state");
}

SavedState read_state_file(const std::string& path) {
  BinaryReader r(path, kMagic, kVersion, "state '" + path + "'", "cascade simulate --save-state");
  SavedState s;
  s.model = r.str();
  const std::uint64_t replicas = r.u64();
  if (replicas == 0 || replicas > UINT32_MAX)
    throw Error("state '" + path + "': its replica count " + std::to_string(replicas) +
                " is not one a run can have (1 to 2^32 - 1): not a state cascade wrote");
  s.replicas = static_cast<std::uint32_t>(replicas);
  s.seed = r.u64();
  s.networks = r.str();
  s.inputs = r.files();
  r.state(s.state);
  return s;
}

}  // namespace cascade::run
