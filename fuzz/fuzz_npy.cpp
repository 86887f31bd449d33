// The .npy reader on arbitrary bytes: it may refuse (cascade::Error), never crash.
#include <cstdint>

#include "cascade/error.hpp"
#include "cascade/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const cascade::NpyArray a = cascade::parse_npy(data, size, "fuzz.npy");
    if (a.size() < (1u << 20)) {
      try {
        (void)a.to_doubles();
      } catch (const cascade::Error&) {
      }
    }
  } catch (const cascade::Error&) {
  }
  return 0;
}
