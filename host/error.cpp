#include "cascade/error.hpp"

#include <string>

namespace cascade {

void throw_at(const char* file, int line, const std::string& message) {
  throw Error(std::string(file) + ":" + std::to_string(line) + ": " + message);
}

}  // namespace cascade
