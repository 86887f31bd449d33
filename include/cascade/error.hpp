// The one exception type of the library. Messages name the offending file,
// field or value and say what was expected; library code never exits.
#pragma once
#include <stdexcept>
#include <string>

namespace cascade {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A cooperative stop request (a stop flag the caller set, e.g. from a
/// signal handler) ended a long preparation: loading, generating, planning.
class Stopped : public Error {
 public:
  using Error::Error;
};

/// A value as messages print it: enough digits (17) to read back exactly.
std::string format_value(double v);

/// Throws cascade::Error with "file:line: message" (for internal invariants
/// where the location helps a bug report).
[[noreturn]] void throw_at(const char* file, int line, const std::string& message);

}  // namespace cascade

#define CASCADE_REQUIRE(cond, msg)                                   \
  do {                                                               \
    if (!(cond)) ::cascade::throw_at(__FILE__, __LINE__, (msg));     \
  } while (0)
