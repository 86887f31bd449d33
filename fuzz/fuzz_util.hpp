// Shared by the libFuzzer harnesses: inputs that must go through a file.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace cascade::fuzz {

/// Writes the input to a per-process scratch file and returns its path.
inline std::string scratch_file(const std::uint8_t* data, std::size_t size, const char* extension) {
  const std::string path = "/tmp/cascade_fuzz_" + std::to_string(::getpid()) + extension;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f) {
    if (size) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

}  // namespace cascade::fuzz
