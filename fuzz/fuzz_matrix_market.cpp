// The Matrix Market reader on arbitrary text: refuse with an Error, never crash.
#include <cstdint>

#include "cascade/dataset.hpp"
#include "cascade/error.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;  // keep sizes (and so networks) small
  const std::string path = cascade::fuzz::scratch_file(data, size, ".mtx");
  try {
    (void)cascade::load_matrix_market(path);
  } catch (const cascade::Error&) {
  }
  return 0;
}
