// The TOML run-file loader on arbitrary text: refuse with an Error, never crash.
#include <cstdint>

#include "cascade/error.hpp"
#include "fuzz_util.hpp"
#include "run_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = cascade::fuzz::scratch_file(data, size, ".toml");
  for (const char* command : {"simulate", "tune"}) {
    try {
      (void)cascade::cli::read_run_file(path, command);
    } catch (const cascade::Error&) {
    }
  }
  return 0;
}
