#include "cascade/stop.hpp"

#include <string>

namespace cascade {

namespace {
// Per thread, so that simulators on other threads keep their own flags.
thread_local const std::atomic<bool>* t_stop = nullptr;
}  // namespace

StopScope::StopScope(const std::atomic<bool>* flag) : previous_(t_stop) { t_stop = flag; }
StopScope::~StopScope() { t_stop = previous_; }

const std::atomic<bool>* current_stop() { return t_stop; }

void check_stop(const char* doing) {
  if (t_stop && t_stop->load(std::memory_order_relaxed)) throw Stopped(std::string("stopped while ") + doing);
}

}  // namespace cascade
