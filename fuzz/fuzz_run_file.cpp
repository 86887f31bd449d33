// The TOML run-file reader on arbitrary text, then the plan built from it:
// refuse with an Error, never crash.
#include <cstdint>
#include <string>

#include "cascade/error.hpp"
#include "cascade/run/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (auto command : {cascade::run::Command::kSimulate, cascade::run::Command::kTune}) {
    try {
      const cascade::run::Settings s = cascade::run::parse_run_file(text, "fuzz.toml", command);
      (void)s.command_line();
      (void)cascade::run::settings_from_json(cascade::run::settings_to_json(s), "fuzz");
    } catch (const cascade::Error&) {
    }
  }
  return 0;
}
