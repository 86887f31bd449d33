// The stop request that SIGINT / SIGTERM raise (a process matter: the
// command line's, never the library's, which reads a flag it is given).
#pragma once
#include <atomic>

namespace cascade::cli {

/// SIGINT and SIGTERM set the stop request; repeated ones keep the orderly
/// stop (and say that SIGKILL forces one).
void install_stop_signals();
const std::atomic<bool>& stop_requested();
/// The signal that asked to stop (0: none).
int stop_signal();

}  // namespace cascade::cli
