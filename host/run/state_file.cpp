#include "state_file.hpp"

namespace cascade::run {

namespace {
constexpr char kMagic[] = "CASCADE-STATE";
constexpr std::uint64_t kVersion = 1;
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
  s.replicas = static_cast<std::uint32_t>(r.u64());
  s.seed = r.u64();
  s.networks = r.str();
  s.inputs = r.files();
  r.state(s.state);
  return s;
}

}  // namespace cascade::run
