// The --param and --stimulus parsers on arbitrary text: refuse with an Error, never crash.
#include <cstdint>
#include <string>

#include "cascade/error.hpp"
#include "cascade/models/registry.hpp"
#include "cascade/stimulus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* model : {"bernoulli_glm", "poisson_glm", "rectified_sam"}) {
    cascade::AnyModel m = cascade::make_model(model);
    try {
      cascade::set_param_assignment(m, text);
      cascade::validate_model(m);
    } catch (const cascade::Error&) {
    }
  }
  if (text.rfind("loaded:", 0) == 0) return 0;  // a path: the file readers have their own harnesses
  try {
    const cascade::Stimulus s = cascade::parse_stimulus(text);
    (void)cascade::stimulus_spec_string(s);
  } catch (const cascade::Error&) {
  }
  return 0;
}
