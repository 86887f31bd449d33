// Saved engine states (cascade simulate --save-state / --load-state): the
// reference's equilibrate() returns the state; the command line keeps it in
// a file, so that later runs start from one equilibrated network.
#pragma once
#include <string>
#include <vector>

#include "binary_file.hpp"
#include "cascade/engine/engine.hpp"

namespace cascade::run {

struct SavedState {
  std::string model;                  // the model's name
  std::uint32_t replicas = 0;
  std::uint64_t seed = 0;
  std::string networks;               // --weights PATH or --generate SPEC, as given
  std::vector<FileIdentity> inputs;   // the network files (none for --generate)
  EngineState state;
};

void write_state_file(const std::string& path, const SavedState& s);
SavedState read_state_file(const std::string& path);

}  // namespace cascade::run
