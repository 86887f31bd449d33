// What was built: for provenance in outputs and benchmark reports.
#pragma once
#include <string>

namespace cascade {

struct BuildInfo {
  std::string version;     // kVersion
  std::string git_hash;    // short commit hash, "-dirty" when built with local changes, or "unknown"
  std::string build_type;  // CMake build type
  std::string compiler;    // compiler and version
  bool cuda = false;       // CUDA kernels compiled in
  std::string cuda_architectures;
};

BuildInfo build_info();

}  // namespace cascade
