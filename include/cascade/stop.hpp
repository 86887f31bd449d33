// A cooperative stop for long preparations (loading and generating networks,
// reading inputs): while a StopScope lives on a thread, check_stop() there
// throws cascade::Stopped once its flag is set (e.g. by a signal handler).
// Runs take their stop flag in RunOptions; this reaches the code before them
// without a flag in every loader's signature.
#pragma once
#include <atomic>

#include "cascade/error.hpp"

namespace cascade {

class StopScope {
 public:
  explicit StopScope(const std::atomic<bool>* flag);
  ~StopScope();
  StopScope(const StopScope&) = delete;
  StopScope& operator=(const StopScope&) = delete;

 private:
  const std::atomic<bool>* previous_;
};

/// The flag of this thread's innermost StopScope (null: none).
const std::atomic<bool>* current_stop();

/// Throws Stopped("stopped while <doing>") when this thread's flag is set.
void check_stop(const char* doing);

}  // namespace cascade
